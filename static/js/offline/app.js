/* Auberge offline sale screen (POS-9, docs/offline.md): tables and a counter sale from the
   catalogue kept in IndexedDB, lines added and voided as events (queued for the tab
   services), split by item, cash with change, card with the terminal's reference, charge to
   a room in the cached in-house list. Every sale is written to IndexedDB (numbered, chained,
   signed: store.js) before it is shown as done. No inline script or style (CSP). */
(function () {
  "use strict";
  var root = document.getElementById("offline-app");
  var store = window.AubergeOffline;
  if (!root || !store) { return; }
  var L = root.dataset;
  var lang = L.lang === "fr" ? "fr" : "en";
  var db = store.db;
  var state = { data: null, table: 0, category: null, device: null };

  function $(testid) { return root.querySelector("[data-testid=" + testid + "]"); }

  function cents(text) {
    var clean = String(text || "").replace(",", ".").replace(/[^0-9.]/g, "");
    if (!clean) { return null; }
    var parts = clean.split(".");
    return parseInt(parts[0] || "0", 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function money(c) { return (c / 100).toFixed(2); }

  function shown(c) {
    var value = money(c);
    return lang === "fr" ? value.replace(".", ",") + " €" : "€" + value;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function product(id) {
    var items = state.data ? state.data.catalogue.products : [];
    for (var i = 0; i < items.length; i++) { if (items[i].id === id) { return items[i]; } }
    return null;
  }

  function name(item) { return lang === "fr" ? item.name_fr : item.name_en; }

  function error(message) {
    var p = $("offline-error");
    p.textContent = message || "";
    p.hidden = !message;
  }

  /* the table's order: kept in IndexedDB (seeded from the floor the server last sent) */
  function tabFor(tableId) {
    return db.tabs.get(tableId).then(function (tab) {
      if (tab) { return tab; }
      var floor = (state.data && state.data.floor) || [];
      var table = floor.filter(function (t) { return t.id === tableId; })[0];
      var lines = table ? table.lines.filter(function (l) { return !l.voided; }).map(function (l) {
        var p = product(l.product_id);
        return {
          key: "server-" + l.id, server_id: l.id, product_id: l.product_id,
          name: l.description, quantity: l.quantity, unit_price: p ? p.price : "0.00", sent: l.sent
        };
      }) : [];
      return { table_id: tableId, label: table ? table.label : "", covers: table ? (table.covers || 1) : 0, lines: lines };
    });
  }

  function lineTotal(line) { return cents(line.unit_price) * line.quantity; }

  function render() {
    if (!state.data) { error(L.lNoData); return Promise.resolve(); }
    var identity = state.data.identity;
    $("offline-identity").textContent = identity.terminal_name + " · " + identity.cashier_name;
    $("offline-device").textContent = state.device ? state.device.name : "";
    var tables = $("offline-tables");
    tables.textContent = "";
    var counter = el("button", { type: "button", class: "tile" + (state.table === 0 ? " active" : ""), "data-table-id": "0" }, L.lCounter);
    tables.appendChild(counter);
    state.data.floor.forEach(function (t) {
      tables.appendChild(el("button", {
        type: "button", class: "tile" + (state.table === t.id ? " active" : ""),
        "data-table-id": String(t.id), "data-testid": "offline-table-" + t.label
      }, L.lTable + " " + t.label));
    });
    var categories = $("offline-categories");
    categories.textContent = "";
    state.data.catalogue.categories.forEach(function (c) {
      categories.appendChild(el("button", { type: "button", class: "tile" + (state.category === c.id ? " active" : ""), "data-category-id": String(c.id) }, name(c)));
    });
    var products = $("offline-products");
    products.textContent = "";
    state.data.catalogue.products.forEach(function (p) {
      if (state.category !== null && p.category !== state.category) { return; }
      var tile = el("button", { type: "button", class: "tile", "data-product-id": String(p.id), "data-testid": "offline-product-" + p.id }, name(p));
      tile.appendChild(el("small", {}, shown(cents(p.price))));
      products.appendChild(tile);
    });
    var approvers = $("offline-approver");
    var manager = approvers.value;
    approvers.textContent = "";
    approvers.appendChild(el("option", { value: "" }, "—"));
    (state.data.approvers || []).forEach(function (a) {
      approvers.appendChild(el("option", { value: String(a.id) }, a.name));
    });
    approvers.value = manager;
    var rooms = $("offline-room");
    var chosen = rooms.value;
    rooms.textContent = "";
    rooms.appendChild(el("option", { value: "" }, "—"));
    state.data.rooms.forEach(function (r) {
      rooms.appendChild(el("option", { value: r.number }, r.number + " · " + r.name));
    });
    rooms.value = chosen;
    return tabFor(state.table).then(function (tab) {
      $("offline-order-title").textContent = state.table === 0 ? L.lCounter : L.lTable + " " + tab.label;
      var list = $("offline-lines");
      list.textContent = "";
      var total = 0;
      tab.lines.forEach(function (line) {
        if (line.voided) { return; }
        total += lineTotal(line);
        var li = el("li", { "data-testid": "offline-line" });
        var box = el("input", { type: "checkbox", "data-split": line.key, "aria-label": line.name });
        li.appendChild(box);
        li.appendChild(el("span", {}, line.quantity + " × " + line.name + (line.sent ? " (" + L.lSent + ")" : "")));
        li.appendChild(el("span", {}, shown(lineTotal(line))));
        li.appendChild(el("button", { type: "button", class: "btn btn-ghost", "data-remove": line.key }, line.sent ? L.lVoid : L.lRemove));
        list.appendChild(li);
      });
      if (!list.children.length) { list.appendChild(el("li", {}, L.lEmpty)); }
      $("offline-total").textContent = shown(total);
      return renderQueue();
    });
  }

  function renderQueue() {
    return db.queue.where("type").equals("sale").reverse().sortBy("id").then(function (sales) {
      var list = $("offline-queue");
      list.textContent = "";
      sales.slice(0, 30).forEach(function (s) {
        var label = s.state === "done" ? L.lSynced : s.state === "refused" ? L.lRefused : L.lWaiting;
        list.appendChild(el("li", { "data-testid": "offline-queued", "data-state": s.state },
          "#" + s.sequence + " · " + shown(cents(s.total)) + " · " + label));
      });
    });
  }

  function saveTab(tab) { return db.tabs.put(tab); }

  function addProduct(id) {
    var p = product(id);
    if (!p) { return; }
    error("");
    var tableId = state.table;
    return tabFor(tableId).then(function (tab) {
      var line = { key: store.uuid(), server_id: null, product_id: p.id, name: name(p), quantity: 1, unit_price: p.price, sent: false };
      tab.lines.push(line);
      if (tableId === 0) { return saveTab(tab); }
      /* a table's line is an event for the tab services: queued with the tab */
      return db.transaction("rw", db.tabs, db.queue, db.meta, function () {
        saveTab(tab);
        return store.queueOperation({ type: "tab.add", client_key: line.key, table_id: tableId, product_id: p.id, quantity: 1, covers: tab.covers || 1 });
      });
    }).then(render);
  }

  /* a line already sent is voided with a manager's approval: the manager chosen and the
     PIN typed, sealed for this void (store.sealPin) and checked by the server at sync */
  function voidApproval(line, opKey) {
    if (!line.sent) { return Promise.resolve({}); }
    var approver = $("offline-approver").value, pin = $("offline-pin").value.trim();
    if (!approver || !pin) { return Promise.reject(new Error(L.lNeedPin)); }
    $("offline-pin").value = "";
    return store.sealPin(opKey, approver, pin).then(function (sealed) {
      return { approver: parseInt(approver, 10), pin_sealed: sealed };
    });
  }

  function removeLine(key) {
    var tableId = state.table;
    error("");
    return tabFor(tableId).then(function (tab) {
      var line = tab.lines.filter(function (l) { return l.key === key; })[0];
      if (!line) { return null; }
      var opKey = store.uuid();
      return voidApproval(line, opKey).then(function (approval) {
      return db.transaction("rw", db.tabs, db.queue, db.meta, function () {
        return db.queue.where("client_key").equals(key).first().then(function (op) {
          if (op && op.state === "pending") {
            /* never reached the server: the add and the remove cancel out */
            db.queue.delete(op.id);
            tab.lines = tab.lines.filter(function (l) { return l.key !== key; });
          } else if (tableId !== 0) {
            line.voided = true;
            var op = line.server_id
              ? { type: "tab.void", table_id: tableId, line_id: line.server_id, reason: "offline" }
              : { type: "tab.void", table_id: tableId, line_key: key, reason: "offline" };
            store.queueOperation(Object.assign(op, approval, { client_key: opKey }));
          } else {
            tab.lines = tab.lines.filter(function (l) { return l.key !== key; });
          }
          return saveTab(tab);
        });
      });
      });
    }).then(render, function (failure) { error(failure.message); });
  }

  function tooLong() {
    var hours = state.data.identity.max_hours || 72;
    return store.pending().then(function (items) {
      var first = items.filter(function (i) { return i.type === "sale"; })[0];
      return first && (Date.now() - Date.parse(first.sold_at)) > hours * 3600 * 1000;
    });
  }

  function fill(template, values) {
    return Object.keys(values).reduce(function (text, k) { return text.split("{" + k + "}").join(values[k]); }, template);
  }

  /* The property's titres-restaurant rules as kept (billing's payment_title_rules; the
     sale checks them again at sync): food only, at most the cap per sale. */
  function titleProblem(lines, amount) {
    var rules = state.data.titles || {};
    var categories = rules.meal_voucher_categories || [];
    var eligible = lines.reduce(function (sum, l) {
      var p = product(l.product_id);
      return sum + (p && categories.indexOf(p.revenue_category) >= 0 ? lineTotal(l) : 0);
    }, 0);
    var cap = cents(rules.meal_voucher_cap || "0");
    if (eligible <= 0) { return L.lTitleFood; }
    if (amount > cap) { return fill(L.lTitleCap, { cap: shown(cap), amount: shown(amount) }); }
    if (amount > eligible) { return fill(L.lTitleEligible, { eligible: shown(eligible), amount: shown(amount) }); }
    return "";
  }

  /* titres-restaurant for `total`: the titles' value (all of it when empty), the rest in
     cash with change; no change on paper, a card title debited at most what is due */
  function titleTenders(method, lines, total, button) {
    var handed = cents($("offline-title-amount").value);
    if (handed === null) { handed = total; }
    if (handed <= 0) { return { error: L.lTitleAmount }; }
    if (handed > total) {
      if (method === "meal_voucher") {
        return { error: fill(L.lNoChange, { method: button.textContent.trim(), handed: shown(handed), amount: shown(total) }) };
      }
      handed = total;
    }
    var problem = titleProblem(lines, handed);
    if (problem) { return { error: problem }; }
    var reference = method === "meal_voucher_card" ? $("offline-card-ref").value.trim().slice(0, 100) : "";
    var tenders = [{ method: method, amount: money(handed), reference: reference }];
    var rest = total - handed, change = 0;
    if (rest > 0) {
      var given = cents($("offline-tendered").value);
      if (given === null) { given = rest; }
      if (given < rest) { return { error: L.lRestCash }; }
      change = given - rest;
      tenders.push({ method: "cash", amount: money(rest), reference: "" });
    }
    return { tenders: tenders, change: change };
  }

  function pay(method, button) {
    error("");
    var tableId = state.table;
    return Promise.all([tabFor(tableId), tooLong()]).then(function (found) {
      var tab = found[0];
      if (found[1]) { error(L.lTooLong); return null; }
      var ticked = Array.prototype.map.call(root.querySelectorAll("[data-split]:checked"), function (b) { return b.dataset.split; });
      var live = tab.lines.filter(function (l) { return !l.voided; });
      var paid = ticked.length ? live.filter(function (l) { return ticked.indexOf(l.key) >= 0; }) : live;
      if (!paid.length) { error(L.lEmpty); return null; }
      var total = paid.reduce(function (sum, l) { return sum + lineTotal(l); }, 0);
      var tenders = [], room = "", change = 0;
      if (method === "cash") {
        var handed = cents($("offline-tendered").value);
        if (handed === null) { handed = total; }
        if (handed < total) { error(L.lTooLittle); return null; }
        change = handed - total;
        tenders = [{ method: "cash", amount: money(total), reference: "" }];
      } else if (method === "card") {
        var ref = $("offline-card-ref").value.trim();
        if (!ref) { error(L.lCardRef); return null; }
        tenders = [{ method: "card", amount: money(total), reference: ref.slice(0, 100) }];
      } else if (method === "meal_voucher" || method === "meal_voucher_card") {
        var titles = titleTenders(method, paid, total, button);
        if (titles.error) { error(titles.error); return null; }
        tenders = titles.tenders;
        change = titles.change;
      } else {
        room = $("offline-room").value;
        if (!room) { error(L.lChooseRoom); return null; }
      }
      var paidKeys = paid.map(function (l) { return l.key; });
      var sale = {
        table: tab.label || "",
        covers: tab.covers || 0,
        room: room,
        lines: paid.map(function (l) { return { product_id: l.product_id, quantity: l.quantity, unit_price: l.unit_price }; }),
        tenders: tenders,
        total: money(total),
        tab_lines: paid.filter(function (l) { return l.server_id; }).map(function (l) { return l.server_id; }),
        display: { change: money(change) }
      };
      return store.recordSale(sale, function () {
        /* the lines paid leave the table; their queued adds are carried by the sale */
        paidKeys.forEach(function (key) {
          db.queue.where("client_key").equals(key).first().then(function (op) {
            if (op && op.state === "pending" && op.type === "tab.add") { db.queue.delete(op.id); }
          });
        });
        tab.lines = tab.lines.filter(function (l) { return paidKeys.indexOf(l.key) < 0; });
        db.tabs.put(tab);
      }).then(function (ticket) {
        var receipt = $("offline-receipt");
        receipt.textContent = L.lSaved + " " + (state.device ? state.device.name : "") + " #" + ticket.sequence +
          " · " + shown(total) + (change || method === "cash" ? " · " + L.lChange + " " + shown(change) : "") +
          (room ? " · " + L.lRoomCheck : "");
        receipt.dataset.sequence = String(ticket.sequence);
        receipt.hidden = false;
        $("offline-tendered").value = "";
        $("offline-card-ref").value = "";
        $("offline-title-amount").value = "";
        if (window.AubergeOfflineBanner) { window.AubergeOfflineBanner.show(); }
        return render();
      });
    });
  }

  root.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) { return; }
    if (target.dataset.tableId !== undefined) { state.table = parseInt(target.dataset.tableId, 10); render(); }
    else if (target.dataset.categoryId !== undefined) {
      var id = parseInt(target.dataset.categoryId, 10);
      state.category = state.category === id ? null : id;
      render();
    }
    else if (target.dataset.productId !== undefined) { addProduct(parseInt(target.dataset.productId, 10)); }
    else if (target.dataset.remove !== undefined) { removeLine(target.dataset.remove); }
    else if (target.dataset.testid === "offline-pay-cash") { pay("cash"); }
    else if (target.dataset.testid === "offline-pay-card") { pay("card"); }
    else if (target.dataset.testid === "offline-pay-room") { pay("room"); }
    else if (target.dataset.testid === "offline-pay-meal-voucher") { pay("meal_voucher", target); }
    else if (target.dataset.testid === "offline-pay-meal-voucher-card") { pay("meal_voucher_card", target); }
  });

  document.addEventListener("auberge:offline-state", function (event) {
    $("offline-back").hidden = !(event.detail.online && !event.detail.waiting);
    root.dataset.online = event.detail.online ? "true" : "false";
    Promise.all([store.getMeta("data"), store.getMeta("device")]).then(function (found) {
      state.data = found[0] || state.data;
      state.device = found[1] || state.device;
      return render();
    });
  });

  document.addEventListener("auberge:offline-synced", function () {
    /* the server is the truth again for tables with nothing left to send */
    store.pendingCount().then(function (waiting) {
      if (waiting) { return null; }
      return store.refresh().then(function (data) {
        state.data = data;
        return db.tabs.clear();
      }).catch(function () { return null; });
    }).then(render);
  });

  Promise.all([store.getMeta("data"), store.getMeta("device")]).then(function (found) {
    state.data = found[0];
    state.device = found[1];
    return render();
  }).then(function () {
    root.dataset.loaded = "true";
  });
})();
