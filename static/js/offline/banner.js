/* Auberge offline banner (POS-9): registers the service worker, keeps the offline data
   fresh while online, notices within seconds that the server is gone (the browser's
   "offline" event, or a heartbeat that fails), shows the banner with the count of sales
   waiting, switches a POS screen to the offline sale screen, and sends the queue when the
   network is back. The labels come from the banner's data attributes (server-translated). */
(function () {
  "use strict";
  var banner = document.getElementById("offline-banner");
  var store = window.AubergeOffline;
  if (!banner || !store) { return; }
  var HEARTBEAT_MS = 2000;
  var HEARTBEAT_WAIT_MS = 1500;
  var offlineUrl = banner.dataset.offlineUrl;
  var onOfflineScreen = window.location.pathname === offlineUrl;
  var online = navigator.onLine;

  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(function () { return false; });
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(banner.dataset.worker, { scope: "/pos/" }).catch(function () { return null; });
  }
  if (window.caches && online) {
    var urls = (banner.dataset.shell || "").split(" ").filter(Boolean);
    window.caches.open("auberge-offline-v1").then(function (cache) {
      return cache.addAll(urls.concat([offlineUrl]));
    }).catch(function () { return null; });
  }

  function text(selector, value) {
    var el = banner.querySelector(selector);
    if (el) { el.textContent = value; }
  }

  function show() {
    return Promise.all([store.pendingCount(), store.db.queue.where("state").equals("refused").count()])
      .then(function (counts) {
        var waiting = counts[0], refused = counts[1];
        banner.dataset.state = online ? "online" : "offline";
        banner.dataset.waiting = String(waiting);
        if (!online) {
          text("[data-testid=offline-banner-text]", banner.dataset.lOffline);
        } else if (waiting) {
          text("[data-testid=offline-banner-text]", banner.dataset.lSyncing);
        } else {
          text("[data-testid=offline-banner-text]", banner.dataset.lSynced);
        }
        // the page language's plural rule (French: 0 and 1 take the singular)
        var plural = new Intl.PluralRules(document.documentElement.lang || "fr").select(waiting);
        var words = plural === "one" ? banner.dataset.lWaitingOne : banner.dataset.lWaitingOther;
        text("[data-testid=offline-waiting]", waiting + " " + (words || banner.dataset.lWaiting) +
          (refused ? " · " + refused + " " + banner.dataset.lRefused : ""));
        banner.hidden = online && !waiting && !refused && !onOfflineScreen;
        document.dispatchEvent(new CustomEvent("auberge:offline-state", { detail: { online: online, waiting: waiting } }));
      });
  }

  function goOffline() {
    if (!online) { return; }
    online = false;
    store.getMeta("offline_since").then(function (since) {
      if (!since) { store.setMeta("offline_since", new Date().toISOString()); }
    });
    show();
    if (!onOfflineScreen) { window.location.assign(offlineUrl); }
  }

  function goOnline() {
    var was = online;
    online = true;
    if (!was) { store.setMeta("offline_since", null); }
    return show().then(function () {
      return store.ensureDevice().catch(function () { return null; });
    }).then(function () {
      return store.sync().catch(function () { return null; });
    }).then(function (answer) {
      if (answer && answer.results && answer.results.length) {
        document.dispatchEvent(new CustomEvent("auberge:offline-synced", { detail: answer }));
      }
      return show();
    });
  }

  function heartbeat() {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, HEARTBEAT_WAIT_MS);
    fetch("/livez", { cache: "no-store", signal: controller.signal }).then(function (response) {
      clearTimeout(timer);
      if (!response.ok) { goOffline(); return; }
      if (!online) { goOnline(); return; }
      /* an upload whose answer was lost: its items are still pending, send them again */
      store.pendingCount().then(function (waiting) { if (waiting) { goOnline(); } });
    }).catch(function () {
      clearTimeout(timer);
      goOffline();
    });
  }

  window.addEventListener("offline", goOffline);
  window.addEventListener("online", heartbeat);
  window.setInterval(heartbeat, HEARTBEAT_MS);
  window.AubergeOfflineBanner = { show: show, sync: goOnline, isOnline: function () { return online; } };

  if (online) {
    store.refresh().catch(function () { return null; }).then(function () {
      return goOnline();
    });
  } else {
    online = true;
    goOffline();
  }
})();
