/* SIG Kelurahan service worker, served as /sw.js (scope: the whole site).
 *
 * (a) Background Sync "sigkel-outbox": sends the residents' queued reports with the same code as the
 *     page (static/js/outbox.js), so a report typed without signal goes out when the phone reconnects,
 *     even if the page was closed.
 * (b) App shell for offline use: the report form and its scripts, network first (fresh when online,
 *     the last copy when not); the vendored Leaflet cache first (it only changes with its path).
 *     Nothing else is touched: no POST, no /api/ except the RT list the form needs, nothing under
 *     /petugas/ or /admin/, no response marked private or no-store.
 */
/* global SigkelOutbox */
"use strict";

importScripts("/static/js/outbox.js");

var VERSION = "sigkel-v1";  // bump on every change of this file or of the app shell list
var SHELL_CACHE = VERSION + "-shell";
var VENDOR_CACHE = VERSION + "-vendor";
var PAGES = ["/lapor"];
var SHELL = [
  "/lapor",
  "/static/js/report.js",
  "/static/js/outbox.js",
  "/static/css/public.css",
  "/static/favicon.svg"
];
var VENDOR = [
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet/images/marker-icon.png",
  "/static/vendor/leaflet/images/marker-icon-2x.png",
  "/static/vendor/leaflet/images/marker-shadow.png"
];
// the RT picker and the RW outlines of the form's map, for reports typed offline
var CACHED_API = ["/api/layers/rt.geojson", "/api/layers/rw.geojson"];
var NEVER = /^\/(api|petugas|admin|tiles|foto|tiket|open311|ogc)(\/|$)/;

function cacheable(response) {
  if (!response || !response.ok || response.type !== "basic") { return false; }
  var cc = response.headers.get("Cache-Control") || "";
  return !/no-store|private/i.test(cc);
}

function precache(name, urls) {
  return caches.open(name).then(function (cache) {
    // one by one and forgiving: a failed file must not stop the worker from installing
    return Promise.all(urls.map(function (url) {
      return fetch(url, {credentials: "same-origin", cache: "no-cache"}).then(function (response) {
        if (cacheable(response)) { return cache.put(url, response); }
      }).catch(function () { /* offline during install: filled on first use */ });
    }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(Promise.all([precache(SHELL_CACHE, SHELL), precache(VENDOR_CACHE, VENDOR)])
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("sigkel-") === 0 && n !== SHELL_CACHE && n !== VENDOR_CACHE;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request, cacheName, key, fallbackIgnoringSearch) {
  return fetch(request).then(function (response) {
    if (cacheable(response)) {
      var copy = response.clone();
      caches.open(cacheName).then(function (cache) { return cache.put(key, copy); });
    }
    return response;
  }).catch(function (error) {
    return caches.open(cacheName).then(function (cache) {
      return cache.match(key).then(function (hit) {
        if (hit || !fallbackIgnoringSearch) { return hit; }
        return cache.match(key, {ignoreSearch: true});
      });
    }).then(function (hit) {
      if (hit) { return hit; }
      throw error;
    });
  });
}

function cacheFirst(request, cacheName) {
  return caches.open(cacheName).then(function (cache) {
    return cache.match(request.url).then(function (hit) {
      if (hit) { return hit; }
      return fetch(request).then(function (response) {
        if (cacheable(response)) { cache.put(request.url, response.clone()); }
        return response;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var path = url.pathname;
  if (CACHED_API.indexOf(path) >= 0 && !url.search) {
    event.respondWith(networkFirst(request, SHELL_CACHE, url.href, false));
    return;
  }
  if (NEVER.test(path) || path === "/sw.js") { return; }
  if (path.indexOf("/static/vendor/") === 0) {
    event.respondWith(cacheFirst(request, VENDOR_CACHE));
    return;
  }
  if (path.indexOf("/static/") === 0) {
    event.respondWith(networkFirst(request, SHELL_CACHE, url.origin + path, false));
    return;
  }
  if (request.mode === "navigate" && PAGES.indexOf(path) >= 0) {
    event.respondWith(networkFirst(request, SHELL_CACHE, url.href, true));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag !== SigkelOutbox.SYNC_TAG) { return; }
  event.waitUntil(SigkelOutbox.flush({force: true}).then(function (result) {
    // still queued (no signal after all, 5xx, Retry-After): fail so that the browser tries again later
    if (result.pending > 0 && !event.lastChance) {
      throw new Error(result.pending + " report(s) still queued");
    }
  }));
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "flush") {
    event.waitUntil(SigkelOutbox.flush({force: !!event.data.force}).catch(function () { /* retried later */ }));
  }
});
