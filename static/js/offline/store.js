/* Auberge offline store (POS-9, docs/offline.md): the IndexedDB database (Dexie), the
   device's ticket chain (SHA-256 over the canonical fields, HMAC-signed with the key issued
   at pairing, kept as a non-extractable CryptoKey), the queue and its sync.
   Loaded after static/vendor/dexie/dexie.min.js; exposes window.AubergeOffline. */
(function () {
  "use strict";

  var db = new Dexie("auberge-offline");
  db.version(1).stores({
    meta: "key",
    queue: "++id, client_key, state, type",
    tabs: "table_id"
  });

  var enc = new TextEncoder();

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function uuid() {
    if (window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = hex(b);
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* the same list as pos.services.offline.ticket_fields */
  function ticketFields(device, t) {
    return [
      1, device, t.sequence, t.client_key, t.sold_at, t.table || "", t.covers || 0, t.room || "",
      t.lines.map(function (l) { return [l.product_id, l.quantity, l.unit_price]; }),
      (t.tenders || []).map(function (x) { return [x.method, x.amount, x.reference || ""]; }),
      t.total, t.cashier || 0,
      t.tab_lines || []
    ];
  }

  function sha256(text) {
    return window.crypto.subtle.digest("SHA-256", enc.encode(text)).then(hex);
  }

  function getMeta(key) {
    return db.meta.get(key).then(function (row) { return row ? row.value : null; });
  }

  function setMeta(key, value) {
    return db.meta.put({ key: key, value: value });
  }

  function csrf() {
    return getMeta("data").then(function (data) { return data ? data.csrf : ""; });
  }

  function post(url, body, token) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    });
  }

  /* pairing: once per browser; the key is imported as a non-extractable HMAC key */
  function ensureDevice() {
    return getMeta("device").then(function (device) {
      if (device) { return device; }
      return csrf().then(function (token) {
        return post("/pos/offline/pair/", {}, token);
      }).then(function (response) {
        if (!response.ok) { throw new Error("pairing refused"); }
        return response.json();
      }).then(function (paired) {
        var raw = new Uint8Array(paired.key.match(/../g).map(function (h) { return parseInt(h, 16); }));
        return window.crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
          .then(function (key) {
            var fresh = { device: paired.device, name: paired.name, key: key, sequence: 0, last_hash: "" };
            return db.transaction("rw", db.meta, function () {
              return db.meta.get("device").then(function (row) {
                if (row) { return row.value; }   /* another tab paired first */
                return db.meta.put({ key: "device", value: fresh }).then(function () { return fresh; });
              });
            });
          });
      });
    });
  }

  /* what the browser keeps for an outage (catalogue, floor, rooms, identity) */
  function refresh() {
    return fetch("/pos/offline/data.json", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("no data"); }
        return response.json();
      })
      .then(function (data) {
        data.fetched_at = new Date().toISOString();
        return setMeta("data", data).then(function () { return data; });
      });
  }

  function withChainLock(work) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("auberge-offline-chain", work);
    }
    return work();
  }

  /* A sale made offline: numbered, chained and signed, written to the queue (and the
     table's remaining lines) in one IndexedDB transaction before it is shown as done. */
  function recordSale(sale, tableUpdate) {
    return withChainLock(function () {
      return Promise.all([getMeta("device"), getMeta("data")]).then(function (found) {
        var device = found[0], data = found[1];
        if (!device) { throw new Error("not paired"); }
        var ticket = {
          type: "sale",
          sequence: device.sequence + 1,
          client_key: uuid(),
          sold_at: new Date().toISOString(),
          table: sale.table || "",
          covers: sale.covers || 0,
          room: sale.room || "",
          lines: sale.lines,
          tenders: sale.tenders,
          total: sale.total,
          cashier: data && data.identity ? data.identity.cashier : 0,
          tab_lines: sale.tab_lines || [],
          previous_hash: device.last_hash,
          state: "pending",
          display: sale.display || {}
        };
        return sha256(device.last_hash + JSON.stringify(ticketFields(device.device, ticket)))
          .then(function (hash) {
            ticket.hash = hash;
            return window.crypto.subtle.sign("HMAC", device.key, enc.encode(hash));
          })
          .then(function (signature) {
            ticket.signature = hex(signature);
            var next = Object.assign({}, device, { sequence: ticket.sequence, last_hash: ticket.hash });
            return db.transaction("rw", db.meta, db.queue, db.tabs, function () {
              db.meta.put({ key: "device", value: next });
              db.queue.add(ticket);
              if (tableUpdate) { tableUpdate(); }
            }).then(function () { return ticket; });
          });
      });
    });
  }

  /* A manager's PIN typed for a void, sealed under the device key for this queue entry
     (pos.services.offline.pin_seal): XOR with HMAC(key, "pin|<client UUID>|<manager id>").
     Only the sealed PIN is written to IndexedDB; the server unseals and checks it at sync. */
  function sealPin(clientKey, approverId, pin) {
    return getMeta("device").then(function (device) {
      if (!device) { throw new Error("not paired"); }
      return window.crypto.subtle.sign("HMAC", device.key, enc.encode("pin|" + clientKey + "|" + approverId));
    }).then(function (pad) {
      var bytes = enc.encode(pin), out = new Uint8Array(Math.min(bytes.length, 32)), p = new Uint8Array(pad);
      for (var i = 0; i < out.length; i++) { out[i] = bytes[i] ^ p[i]; }
      return hex(out.buffer);
    });
  }

  function queueOperation(op) {
    op.client_key = op.client_key || uuid();
    op.state = "pending";
    return getMeta("data").then(function (data) {
      op.cashier = data && data.identity ? data.identity.cashier : 0;
      return db.queue.add(op).then(function () { return op; });
    });
  }

  function pending() {
    return db.queue.where("state").equals("pending").sortBy("id");
  }

  function pendingCount() {
    return db.queue.where("state").equals("pending").count();
  }

  var syncing = null;

  /* Send the queue in order; an answer marks each item done or refused. A lost answer
     only means the same items go again: the server returns their first result. */
  function sync() {
    if (syncing) { return syncing; }
    syncing = Promise.all([getMeta("device"), pending()]).then(function (found) {
      var device = found[0], items = found[1];
      if (!device || !items.length) { return { applied: 0, refused: 0, results: [] }; }
      return refresh().catch(function () { return null; }).then(function () {
        return csrf();
      }).then(function (token) {
        var queue = items.map(function (item) {
          var copy = Object.assign({}, item);
          delete copy.id; delete copy.state; delete copy.display; delete copy.result;
          return copy;
        });
        return post("/pos/offline/sync/", { device: device.device, queue: queue }, token);
      }).then(function (response) {
        if (!response.ok) { throw new Error("sync refused: " + response.status); }
        return response.json();
      }).then(function (answer) {
        var byKey = {};
        answer.results.forEach(function (r) { byKey[r.client_key] = r; });
        return db.transaction("rw", db.queue, function () {
          items.forEach(function (item) {
            var r = byKey[item.client_key];
            if (!r || r.status === "waiting") { return; }
            /* the sealed PIN goes with the answer: undefined deletes it (Dexie) */
            db.queue.update(item.id, {
              state: r.status === "refused" ? "refused" : "done",
              result: r,
              pin_sealed: undefined
            });
          });
        }).then(function () { return answer; });
      });
    }).finally(function () { syncing = null; });
    return syncing;
  }

  window.AubergeOffline = {
    db: db,
    uuid: uuid,
    getMeta: getMeta,
    setMeta: setMeta,
    ensureDevice: ensureDevice,
    refresh: refresh,
    recordSale: recordSale,
    queueOperation: queueOperation,
    sealPin: sealPin,
    pending: pending,
    pendingCount: pendingCount,
    sync: sync,
    ticketFields: ticketFields
  };
})();
