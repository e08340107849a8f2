/* Auberge service worker (POS-9, docs/offline.md), served at /pos/offline/sw.js with the
   scope /pos/. It keeps the offline sale screen and the static files it needs; when a POS
   screen cannot be reached it answers with the offline sale screen. Nothing else is cached:
   sales live in IndexedDB (static/js/offline/store.js), never in this cache. */
"use strict";

var CACHE = "auberge-offline-v1";
var SHELL = "/pos/offline/";
var NETWORK_WAIT_MS = 2500;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return fetch(SHELL, { credentials: "same-origin" }).then(function (response) {
        if (response.ok) { return cache.put(SHELL, response); }
        return null;
      }).catch(function () { return null; });
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) {
        return caches.delete(k);
      }));
    }).then(function () { return self.clients.claim(); })
  );
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname.indexOf("/pos/") === 0) {
    event.respondWith(
      withTimeout(fetch(request), NETWORK_WAIT_MS).then(function (response) {
        if (url.pathname === SHELL && response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(SHELL, copy); });
        }
        return response;
      }).catch(function () {
        return caches.match(SHELL).then(function (cached) {
          return cached || new Response("Offline", { status: 503 });
        });
      })
    );
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(
      caches.match(request).then(function (cached) {
        if (cached) { return cached; }
        return fetch(request).then(function (response) {
          if (response.ok) {
            var copy = response.clone();
            caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
          }
          return response;
        });
      })
    );
  }
});
