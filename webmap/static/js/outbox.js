/* SIG Kelurahan: the residents' report outbox, shared by the page (report.js) and the service worker
 * (sw.js, through importScripts). Plain script, no modules: it defines the global SigkelOutbox on `self`
 * (the window in a page, the worker's global scope in the service worker).
 *
 * IndexedDB database "sigkel":
 *   outbox  reports not yet accepted by the server, keyed by their idempotency key:
 *           {key, provisional, createdAt, status: "antri" | "ditolak", fields, photos: [{blob, name}],
 *            attempts, nextAttemptAt, notBefore, leaseUntil, lastStatus, lastError, hint}
 *   sent    reports the server accepted: {key, provisional, ticket, secret, url, status, sla_due, ...}
 *
 * Guarantee: a report leaves "outbox" only (a) in the same IndexedDB transaction that writes its
 * ticket into "sent", after a 2xx answer carrying a ticket, or (b) never automatically: a definitive
 * 4xx (anything but 408/425/429) marks it "ditolak" and keeps it, with the server's message, until the
 * resident edits or deletes it. A network error, a timeout, a 5xx, 408, 425, 429 or a 2xx without a
 * ticket (a captive portal's login page) leave it queued, retried with exponential backoff and
 * jitter, never before the server's Retry-After. Every attempt reuses the report's key, so a retry
 * after an answer that got lost is answered with the first ticket, never a second complaint.
 *
 * One sender at a time: the page(s) and the worker take the Web Lock "sigkel-outbox" for a send round
 * (released by the browser if the holder dies mid-upload); without Web Locks, a per-item lease stops
 * two senders from uploading the same report at once. Either way a duplicate upload is harmless: the
 * server answers the second with the first one's ticket.
 */
(function (global) {
  "use strict";

  var DB_NAME = "sigkel";
  var DB_VERSION = 1;
  var OUTBOX = "outbox";
  var SENT = "sent";
  var ENDPOINT = "/api/laporan";
  var CHANNEL = "sigkel-outbox";
  var SYNC_TAG = "sigkel-outbox";
  var LOCK = "sigkel-outbox";
  var LEASE_SLACK_MS = 30 * 1000;      // a sender that died mid-request frees its item after its timeout + this
  var BASE_DELAY_MS = 5 * 1000;
  var MAX_DELAY_MS = 30 * 60 * 1000;
  var MAX_RETRY_AFTER_MS = 6 * 60 * 60 * 1000;
  var RETRYABLE_4XX = {408: true, 425: true, 429: true};

  var dbPromise = null;
  var listeners = [];
  var channel = null;
  try {
    if (typeof BroadcastChannel !== "undefined") { channel = new BroadcastChannel(CHANNEL); }
  } catch (e) { channel = null; }
  if (channel) {
    channel.onmessage = function () { listeners.forEach(function (fn) { try { fn(); } catch (e) { /* ignore */ } }); };
  }

  function now() { return Date.now(); }

  function request(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function finished(tx) {
    return new Promise(function (resolve, reject) {
      tx.oncomplete = function () { resolve(); };
      tx.onerror = function () { reject(tx.error || new Error("IndexedDB transaction failed")); };
      tx.onabort = function () { reject(tx.error || new Error("IndexedDB transaction aborted")); };
    });
  }

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!global.indexedDB) { reject(new Error("IndexedDB is not available")); return; }
        var r = global.indexedDB.open(DB_NAME, DB_VERSION);
        r.onupgradeneeded = function () {
          var db = r.result;
          if (!db.objectStoreNames.contains(OUTBOX)) { db.createObjectStore(OUTBOX, {keyPath: "key"}); }
          if (!db.objectStoreNames.contains(SENT)) { db.createObjectStore(SENT, {keyPath: "key"}); }
        };
        r.onsuccess = function () {
          var db = r.result;
          db.onversionchange = function () { db.close(); dbPromise = null; };
          resolve(db);
        };
        r.onerror = function () { reject(r.error || new Error("IndexedDB open failed")); };
        r.onblocked = function () { reject(new Error("IndexedDB is blocked by another tab")); };
      });
      dbPromise.catch(function () { dbPromise = null; });
    }
    return dbPromise;
  }

  function notify() {
    listeners.forEach(function (fn) { try { fn(); } catch (e) { /* a listener's bug is not ours */ } });
    if (channel) { try { channel.postMessage({type: "changed"}); } catch (e) { /* closed */ } }
    // a service worker without BroadcastChannel: tell its pages directly
    if (!channel && global.clients && global.registration && global.clients.matchAll) {
      global.clients.matchAll({includeUncontrolled: true}).then(function (list) {
        list.forEach(function (c) { c.postMessage({type: CHANNEL}); });
      });
    }
  }

  function onChange(fn) { listeners.push(fn); }

  /* An idempotency key: 8–128 characters of [A-Za-z0-9_.:-] as the server demands. */
  function newKey() {
    var c = global.crypto;
    if (c && typeof c.randomUUID === "function") { return c.randomUUID(); }
    var bytes = new Uint8Array(16);
    if (c && c.getRandomValues) {
      c.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function provisionalCode(key) {
    return "SEMENTARA-" + String(key).replace(/[^A-Za-z0-9]/g, "").slice(0, 8).toUpperCase();
  }

  /* Exponential backoff with "equal jitter": half fixed, half random, capped. */
  function backoff(attempts, random) {
    var r = random === undefined ? Math.random() : random;
    var exp = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * Math.pow(2, Math.max(0, attempts - 1)));
    return Math.round(exp / 2 + r * exp / 2);
  }

  /* Retry-After: delta-seconds or an HTTP date; milliseconds from now, or 0. */
  function retryAfterMs(value) {
    if (!value) { return 0; }
    var text = String(value).trim();
    var ms;
    if (/^\d+$/.test(text)) { ms = parseInt(text, 10) * 1000; }
    else {
      var at = Date.parse(text);
      ms = isNaN(at) ? 0 : at - now();
    }
    return Math.max(0, Math.min(ms, MAX_RETRY_AFTER_MS));
  }

  /* What an HTTP answer means for a queued report: "sent", "rejected" or "retry". */
  function classify(status, body) {
    if (status >= 200 && status < 300) { return body && body.ticket ? "sent" : "retry"; }
    if (status >= 400 && status < 500 && !RETRYABLE_4XX[status]) { return "rejected"; }
    return "retry";
  }

  function add(record) {
    var item = {
      key: record.key,
      provisional: record.provisional || provisionalCode(record.key),
      createdAt: record.createdAt || now(),
      status: "antri",
      fields: record.fields || {},
      photos: record.photos || [],
      label: record.label || "",
      attempts: 0,
      nextAttemptAt: 0,
      notBefore: 0,
      leaseUntil: 0,
      lastStatus: null,
      lastError: null,
      hint: null
    };
    return open().then(function (db) {
      var tx = db.transaction(OUTBOX, "readwrite");
      tx.objectStore(OUTBOX).add(item);  // add, not put: a key is never reused for another report
      return finished(tx);
    }).then(function () { notify(); return item; });
  }

  function getAll(storeName) {
    return open().then(function (db) {
      return request(db.transaction(storeName, "readonly").objectStore(storeName).getAll());
    }).then(function (rows) {
      return rows.sort(function (a, b) { return (a.createdAt || 0) - (b.createdAt || 0); });
    });
  }

  function all() {
    return Promise.all([getAll(OUTBOX), getAll(SENT)]).then(function (r) { return {outbox: r[0], sent: r[1]}; });
  }

  function get(key) {
    return open().then(function (db) {
      return request(db.transaction(OUTBOX, "readonly").objectStore(OUTBOX).get(key));
    });
  }

  function remove(key) {
    return open().then(function (db) {
      var tx = db.transaction(OUTBOX, "readwrite");
      tx.objectStore(OUTBOX).delete(key);
      return finished(tx);
    }).then(notify);
  }

  /* Read-modify-write of one outbox item inside one transaction (IndexedDB serialises readwrite
   * transactions on a store across the page and the worker, so two senders never both claim it). */
  function update(key, change) {
    return open().then(function (db) {
      var tx = db.transaction(OUTBOX, "readwrite");
      var store = tx.objectStore(OUTBOX);
      var result = null;
      var r = store.get(key);
      r.onsuccess = function () {
        var item = r.result;
        if (!item) { return; }
        var changed = change(item);
        if (changed) { store.put(changed); result = changed; }
      };
      return finished(tx).then(function () { return result; });
    });
  }

  /* locked: this sender holds the outbox lock, so no other sender is alive and a lease left behind
   * by one that died (a closed page, a stopped worker) does not count. */
  function eligible(item, force, t, locked) {
    return item.status === "antri" && (locked || (item.leaseUntil || 0) <= t) && (item.notBefore || 0) <= t &&
      (force || (item.nextAttemptAt || 0) <= t);
  }

  function claim(key, force, locked) {
    return update(key, function (item) {
      var t = now();
      if (!eligible(item, force, t, locked)) { return null; }
      item.leaseUntil = t + timeoutFor(item) + LEASE_SLACK_MS;
      item.attempts = (item.attempts || 0) + 1;
      item.lastAttemptAt = t;
      return item;
    });
  }

  function formData(item) {
    var fd = new FormData();
    fd.append("kunci", item.key);
    Object.keys(item.fields).forEach(function (name) {
      var v = item.fields[name];
      if (v !== null && v !== undefined) { fd.append(name, String(v)); }
    });
    (item.photos || []).forEach(function (p, i) {
      fd.append("foto", p.blob, p.name || ("foto-" + (i + 1) + ".jpg"));
    });
    return fd;
  }

  function timeoutFor(item) {
    var bytes = 0;
    (item.photos || []).forEach(function (p) { bytes += (p.blob && p.blob.size) || 0; });
    // a weak 2G link moves ~5 KB/s: 60 s plus 1 s per 4 KB of photos
    return 60000 + Math.round(bytes / 4096) * 1000;
  }

  function post(item) {
    var controller = typeof AbortController !== "undefined" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, timeoutFor(item)) : null;
    return fetch(ENDPOINT, {
      method: "POST",
      body: formData(item),
      headers: {"Idempotency-Key": item.key, "Accept": "application/json"},
      credentials: "same-origin",
      cache: "no-store",
      redirect: "follow",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        return {status: response.status, body: body, retryAfter: response.headers.get("Retry-After")};
      });
    }).finally(function () { if (timer) { clearTimeout(timer); } });
  }

  function markSent(item, body) {
    return open().then(function (db) {
      var tx = db.transaction([OUTBOX, SENT], "readwrite");
      tx.objectStore(SENT).put({
        key: item.key,
        provisional: item.provisional,
        createdAt: item.createdAt,
        sentAt: now(),
        label: item.label,
        summary: String((item.fields && item.fields.uraian) || "").slice(0, 120),
        ticket: body.ticket,
        secret: body.secret || null,
        url: body.url || ("/tiket/" + encodeURIComponent(body.ticket)),
        status: body.status || "diterima",
        sla_due: body.sla_due || null
      });
      tx.objectStore(OUTBOX).delete(item.key);  // same transaction: never lost, never both
      return finished(tx);
    });
  }

  function markRejected(item, answer) {
    var body = answer.body || {};
    return update(item.key, function (it) {
      it.status = "ditolak";
      it.leaseUntil = 0;
      it.lastStatus = answer.status;
      it.lastError = body.message || ("HTTP " + answer.status);
      it.hint = body.hint || null;
      return it;
    });
  }

  function markRetry(item, status, message, retryAfter) {
    return update(item.key, function (it) {
      var t = now();
      it.leaseUntil = 0;
      it.lastStatus = status;
      it.lastError = message;
      it.nextAttemptAt = t + backoff(it.attempts || 1);
      it.notBefore = retryAfter ? t + retryAfter : 0;
      return it;
    });
  }

  /* Send one claimed item; resolves to "sent" | "rejected" | "retry" | "network". */
  function sendOne(item) {
    return post(item).then(function (answer) {
      var kind = classify(answer.status, answer.body);
      if (kind === "sent") { return markSent(item, answer.body).then(function () { return "sent"; }); }
      if (kind === "rejected") { return markRejected(item, answer).then(function () { return "rejected"; }); }
      var message = (answer.body && answer.body.message) || ("HTTP " + answer.status);
      return markRetry(item, answer.status, message, retryAfterMs(answer.retryAfter)).then(function () {
        return "retry";
      });
    }, function (error) {
      return markRetry(item, 0, (error && error.name === "AbortError") ? "timeout" : "network",
        0).then(function () { return "network"; });
    });
  }

  function summary(result) {
    return getAll(OUTBOX).then(function (items) {
      var t = now();
      var queued = items.filter(function (i) { return i.status === "antri"; });
      result.pending = queued.length;
      result.rejectedTotal = items.length - queued.length;
      result.nextAt = null;
      queued.forEach(function (i) {
        var at = Math.max(i.nextAttemptAt || 0, i.notBefore || 0, i.leaseUntil || 0, t);
        if (result.nextAt === null || at < result.nextAt) { result.nextAt = at; }
      });
      return result;
    });
  }

  /* One sender at a time across the pages and the worker: the Web Locks API where there is one (a
   * lock dies with its holder, so a page closed mid-upload blocks nobody); elsewhere the leases. */
  function withLock(fn) {
    var locks = global.navigator && global.navigator.locks;
    if (locks && typeof locks.request === "function") {
      return locks.request(LOCK, function () { return fn(true); });
    }
    return fn(false);
  }

  function sendRound(force, result, locked) {
    return getAll(OUTBOX).then(function (items) {
      var keys = items.filter(function (i) { return i.status === "antri"; }).map(function (i) { return i.key; });
      var chain = Promise.resolve(false);
      keys.forEach(function (key) {
        chain = chain.then(function (stop) {
          if (stop) { return true; }
          return claim(key, force, locked).then(function (item) {
            if (!item) { return false; }
            notify();
            return sendOne(item).then(function (kind) {
              notify();
              if (kind === "network") { result.retry++; return true; }  // the link is down: stop here
              result[kind === "sent" ? "sent" : kind === "rejected" ? "rejected" : "retry"]++;
              return false;
            });
          });
        });
      });
      return chain;
    });
  }

  var running = null;
  var again = false;
  var againForce = false;

  /* Send every eligible queued report, one at a time (weak links: one upload at a time).
   * options.force: ignore the backoff after network errors (the connection just came back),
   * never the server's Retry-After. Resolves to {sent, rejected, retry, pending, nextAt, offline}. */
  function flush(options) {
    var force = !!(options && options.force);
    if (running) {  // one round at a time here; whatever was asked meanwhile runs right after
      again = true;
      againForce = againForce || force;
      return running;
    }
    running = (function loop(force) {
      var result = {sent: 0, rejected: 0, retry: 0, offline: false};
      if (global.navigator && global.navigator.onLine === false) {
        result.offline = true;
        return summary(result);
      }
      return withLock(function (locked) { return sendRound(force, result, locked); }).then(function () {
        if (!again) { return result; }
        var f = againForce;
        again = false;
        againForce = false;
        return loop(f).then(function (more) {
          result.sent += more.sent;
          result.rejected += more.rejected;
          result.retry += more.retry;
          return result;
        });
      }).then(summary);
    })(force).finally(function () { running = null; });
    return running;
  }

  /* Ask the browser to run the service worker's sync when there is a connection (where supported). */
  function requestSync() {
    var nav = global.navigator;
    if (!nav || !nav.serviceWorker || !nav.serviceWorker.ready) { return Promise.resolve(false); }
    return nav.serviceWorker.ready.then(function (reg) {
      if (!reg.sync || !reg.sync.register) { return false; }
      return reg.sync.register(SYNC_TAG).then(function () { return true; });
    }).catch(function () { return false; });
  }

  function removeSent(key) {
    return open().then(function (db) {
      var tx = db.transaction(SENT, "readwrite");
      tx.objectStore(SENT).delete(key);
      return finished(tx);
    }).then(notify);
  }

  global.SigkelOutbox = {
    SYNC_TAG: SYNC_TAG,
    open: open,
    newKey: newKey,
    provisionalCode: provisionalCode,
    add: add,
    all: all,
    get: get,
    remove: remove,
    removeSent: removeSent,
    flush: flush,
    requestSync: requestSync,
    onChange: onChange,
    classify: classify,
    backoff: backoff,
    retryAfterMs: retryAfterMs
  };
})(typeof self !== "undefined" ? self : this);
