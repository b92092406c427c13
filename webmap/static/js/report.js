/* SIG Kelurahan report form (/lapor): progressive enhancement of a plain HTML form.
 *
 * Location by a draggable pin, the phone's GPS (with its accuracy) or an RT; photos downscaled in the
 * browser; "is it one of these?" before a new report when online; then the report goes into the
 * IndexedDB outbox (outbox.js) with a fresh idempotency key and a provisional code, and is sent now or
 * when the signal is back (the `online` event, a timer with backoff, or the service worker's
 * Background Sync). Every text from the server or the resident is set with textContent.
 *
 * For tests: body[data-ready]="1" once initialised; body[data-queued|data-sent|data-rejected] are the
 * outbox counts after every change; body[data-flushes] counts finished send rounds.
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("sigkel-config").textContent);
  var page = JSON.parse(document.getElementById("report-page").textContent);
  var S = page.strings;
  var LABELS = page.statusLabels;
  var O = window.SigkelOutbox;
  var map = window[cfg.map];
  if (!O || !window.L || !map) { return; }  // a script did not load: the plain form still works
  var locale = cfg.lang === "en" ? "en-GB" : "id-ID";

  var form = document.getElementById("report-form");
  var $ = function (id) { return document.getElementById(id); };
  var latIn = $("lat"), lonIn = $("lon"), accIn = $("akurasi"), srcIn = $("lokasi_sumber");
  var rtSel = $("rt"), fotoIn = $("foto"), catSel = $("kategori"), submitBtn = $("submit");
  var message = $("form-message"), locStatus = $("loc-status"), clearBtn = $("loc-clear");
  var similarBox = $("serupa"), similarList = $("serupa-list");
  var list = $("outbox-list"), queueStatus = $("queue-status");

  var pin = null, circle = null, rtOutline = null;
  var rtFeatures = {}, rtLoading = null;
  var busy = false, editingKey = null, lastKey = null;
  var supportKeys = {};
  var thumbUrls = [];
  var flushes = 0, timer = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] === undefined ? m : String(values[k]);
    });
  }
  function showMessage(text, kind, extra) {
    message.textContent = "";
    message.className = "notice" + (kind ? " " + kind : "");
    if (text) { message.appendChild(document.createTextNode(text)); }
    if (extra) { message.appendChild(document.createTextNode(" ")); message.appendChild(extra); }
  }
  /* A translated message with one placeholder replaced by an element (a code or a link). */
  function showTemplate(template, name, node, kind) {
    var parts = String(template).split("{" + name + "}");
    showMessage(parts[0], kind);
    message.appendChild(node);
    if (parts.length > 1) { message.appendChild(document.createTextNode(parts.slice(1).join(""))); }
  }
  function setBusy(on, label) {
    busy = on;
    submitBtn.disabled = on;
    submitBtn.textContent = on ? (label || S.saving) : S.submit;
  }
  function dateText(value, withTime) {
    var d = new Date(value);
    if (isNaN(d.getTime())) { return ""; }
    var opts = {day: "numeric", month: "short", year: "numeric"};
    if (withTime) { opts.hour = "2-digit"; opts.minute = "2-digit"; }
    return d.toLocaleString(locale, opts);
  }
  function timeText(ms) {
    return new Date(ms).toLocaleTimeString(locale, {hour: "2-digit", minute: "2-digit"});
  }
  function online() { return navigator.onLine !== false; }

  /* ---- location: pin, GPS, RT ------------------------------------------------------------ */

  function clearMarks() {
    if (pin) { map.removeLayer(pin); pin = null; }
    if (circle) { map.removeLayer(circle); circle = null; }
  }
  function clearRtOutline() {
    if (rtOutline) { map.removeLayer(rtOutline); rtOutline = null; }
  }

  function setLocation(lat, lon, source, accuracy) {
    lat = Number(lat);
    lon = Number(lon);
    source = source || "pin";
    latIn.value = lat.toFixed(7);
    lonIn.value = lon.toFixed(7);
    srcIn.value = source;
    accIn.value = source === "gps" && accuracy !== null && accuracy !== undefined ? String(Math.round(accuracy)) : "";
    rtSel.value = "";
    clearRtOutline();
    if (!pin) {
      pin = L.marker([lat, lon], {draggable: true, autoPan: true, keyboard: true, title: S.pinSet});
      pin.on("dragend", function () {
        var ll = pin.getLatLng();
        setLocation(ll.lat, ll.lng, "pin", null);
      });
      pin.addTo(map);
    } else {
      pin.setLatLng([lat, lon]);
    }
    if (circle) { map.removeLayer(circle); circle = null; }
    if (accIn.value) {
      circle = L.circle([lat, lon], {radius: Number(accIn.value), color: "#1f618d", weight: 1,
        fillOpacity: 0.12, interactive: false, className: "accuracy-circle"}).addTo(map);
      var text = fmt(S.accuracy, {m: accIn.value});
      locStatus.textContent = Number(accIn.value) > 50 ? text + " " + S.lowAccuracy : text;
    } else {
      locStatus.textContent = S.pinSet;
    }
    clearBtn.hidden = false;
  }

  function clearLocation() {
    clearMarks();
    clearRtOutline();
    latIn.value = lonIn.value = accIn.value = srcIn.value = "";
    rtSel.value = "";
    locStatus.textContent = "";
    clearBtn.hidden = true;
  }

  map.on("click", function (e) { setLocation(e.latlng.lat, e.latlng.lng, "pin", null); });

  // RW outlines and names for orientation (offices may run without a basemap); never clickable
  fetch("/api/layers/rw.geojson", {headers: {"Accept": "application/geo+json"}}).then(function (r) {
    return r.ok ? r.json() : null;
  }).then(function (data) {
    if (!data) { return; }
    var rw = L.geoJSON(data, {
      style: {color: "#7b241c", weight: 1.5, fill: false},
      interactive: false,
      onEachFeature: function (f, layer) {
        layer.bindTooltip(el("span", {}, f.properties.name), {permanent: true, direction: "center",
          className: "rw-label", interactive: false});
      }
    }).addTo(map);
    function labels() {  // names only when zoomed in enough to read them
      var show = map.getZoom() >= 16;
      rw.eachLayer(function (l) { if (show) { l.openTooltip(); } else { l.closeTooltip(); } });
    }
    map.on("zoomend", labels);
    labels();
  }).catch(function () { /* offline: the pin and GPS still work */ });
  clearBtn.addEventListener("click", clearLocation);

  $("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { locStatus.textContent = fmt(S.noLocation, {msg: "-"}); return; }
    locStatus.textContent = S.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      setLocation(pos.coords.latitude, pos.coords.longitude, "gps", pos.coords.accuracy);
      if (circle && pos.coords.accuracy > 60) { map.fitBounds(circle.getBounds(), {maxZoom: 18}); }
      else { map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 17)); }
    }, function (err) {
      locStatus.textContent = fmt(S.noLocation, {msg: err.message || err.code});
    }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 30000});
  });

  var rtPlaceholder = rtSel.options[0].textContent;
  function loadRT() {
    if (rtLoading) { return rtLoading; }
    var first = rtSel.options[0];
    var prerendered = rtSel.options.length > 1;
    if (!prerendered) { first.textContent = S.rtLoading; }
    rtLoading = fetch("/api/layers/rt.geojson", {headers: {"Accept": "application/geo+json"}})
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).then(function (data) {
        var groups = {};
        data.features.forEach(function (f) {
          var p = f.properties;
          rtFeatures[p.code] = f;
          if (prerendered) { return; }
          var key = p.kelurahan || "";
          if (!groups[key]) {
            groups[key] = el("optgroup", {label: key});
            rtSel.appendChild(groups[key]);
          }
          groups[key].appendChild(el("option", {value: p.code}, p.name));
        });
        first.textContent = rtPlaceholder;
      }).catch(function () {
        rtLoading = null;
        first.textContent = rtPlaceholder;
        locStatus.textContent = S.rtFailed;
      });
    return rtLoading;
  }
  $("rt-pick").addEventListener("toggle", function () { if (this.open) { loadRT(); } });
  rtSel.addEventListener("focus", loadRT);

  function rtCenter(code) {
    var f = rtFeatures[code];
    if (!f) { return null; }
    return L.geoJSON(f).getBounds().getCenter();
  }

  rtSel.addEventListener("change", function () {
    var code = rtSel.value;
    clearMarks();
    clearRtOutline();
    latIn.value = lonIn.value = accIn.value = "";
    if (!code) { srcIn.value = ""; locStatus.textContent = ""; clearBtn.hidden = true; return; }
    srcIn.value = "rt";
    var label = rtSel.options[rtSel.selectedIndex].textContent;
    var f = rtFeatures[code];
    if (f) {
      rtOutline = L.geoJSON(f, {style: {color: "#a04000", weight: 2, fillOpacity: 0.08}, interactive: false})
        .addTo(map);
      map.fitBounds(rtOutline.getBounds(), {maxZoom: 18});
      if (f.properties.kelurahan) { label += " · " + f.properties.kelurahan; }
    }
    locStatus.textContent = fmt(S.rtSet, {rt: label});
    clearBtn.hidden = false;
  });

  /* ---- category help, photos ------------------------------------------------------------- */

  catSel.addEventListener("change", function () {
    var opt = catSel.options[catSel.selectedIndex];
    var help = $("kategori-help");
    if (!opt || !opt.value) { help.textContent = ""; return; }
    var privacy = opt.getAttribute("data-public") === "false" ? "hidden" : opt.getAttribute("data-privacy");
    help.textContent = [fmt(S.slaNote, {n: opt.getAttribute("data-sla")}), S["privacy_" + privacy] || ""]
      .join(" ").trim();
  });

  function updateThumbs() {
    var box = $("thumbs");
    thumbUrls.forEach(function (u) { URL.revokeObjectURL(u); });
    thumbUrls = [];
    box.textContent = "";
    var files = Array.prototype.slice.call(fotoIn.files || []);
    fotoIn.setCustomValidity(files.length > page.maxPhotos ? fmt(S.tooManyPhotos, {n: page.maxPhotos}) : "");
    files.slice(0, page.maxPhotos).forEach(function (f) {
      if (!/^image\//.test(f.type)) { return; }
      var url = URL.createObjectURL(f);
      thumbUrls.push(url);
      box.appendChild(el("img", {src: url, alt: f.name}));
    });
  }
  fotoIn.addEventListener("change", function () {
    updateThumbs();
    if (fotoIn.files.length > page.maxPhotos) { fotoIn.reportValidity(); }
  });

  function decode(file) {
    function viaImg() {
      return new Promise(function (resolve, reject) {
        var url = URL.createObjectURL(file);
        var img = new Image();
        img.onload = function () { resolve({source: img, width: img.naturalWidth, height: img.naturalHeight,
          done: function () { URL.revokeObjectURL(url); }}); };
        img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
        img.src = url;
      });
    }
    if (typeof createImageBitmap !== "function") { return viaImg(); }
    return createImageBitmap(file, {imageOrientation: "from-image"}).then(function (bmp) {
      return {source: bmp, width: bmp.width, height: bmp.height, done: function () { bmp.close(); }};
    }, viaImg);
  }

  /* A photo at most page.maxSide px on its long side, JPEG q 0.8 (EXIF, GPS included, dropped);
   * the original whenever that fails or would not be smaller. */
  function downscale(file) {
    var original = {blob: file, name: file.name || "foto.jpg"};
    if (!/^image\//.test(file.type || "image/")) { return Promise.resolve(original); }
    return decode(file).then(function (img) {
      var max = page.maxSide || 1600;
      var scale = Math.min(1, max / Math.max(img.width, img.height));
      if (scale === 1 && file.type === "image/jpeg" && file.size <= 400 * 1024) { img.done(); return original; }
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(img.width * scale));
      canvas.height = Math.max(1, Math.round(img.height * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";  // transparent PNGs become white, not black
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(img.source, 0, 0, canvas.width, canvas.height);
      img.done();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || (scale === 1 && blob.size >= file.size)) { resolve(original); return; }
          resolve({blob: blob, name: (file.name || "foto").replace(/\.[^.]*$/, "") + ".jpg"});
        }, "image/jpeg", 0.8);
      });
    }).catch(function () { return original; });
  }

  /* ---- submit: validate, "is it one of these?", queue, send --------------------------------- */

  function collect() {
    var anon = form.querySelector("input[name=anonimitas]:checked");
    var source = srcIn.value;
    return {
      fields: {
        kategori: catSel.value,
        uraian: $("uraian").value,
        lat: source === "rt" ? "" : latIn.value,
        lon: source === "rt" ? "" : lonIn.value,
        akurasi: source === "gps" ? accIn.value : "",
        lokasi_sumber: source,
        rt: source === "rt" ? rtSel.value : "",
        nama: $("nama").value,
        kontak: $("kontak").value,
        anonimitas: anon ? anon.value : "publik_tanpa_nama"
      },
      files: Array.prototype.slice.call(fotoIn.files || []),
      label: catSel.selectedIndex > 0 ? catSel.options[catSel.selectedIndex].textContent : ""
    };
  }

  function locationProblem(fields) {
    if (fields.lokasi_sumber === "rt") { return fields.rt ? null : S.chooseLocation; }
    if (!fields.lokasi_sumber || !fields.lat || !fields.lon) { return S.chooseLocation; }
    return null;
  }

  function point(fields) {
    if (fields.lokasi_sumber === "rt") {
      var c = rtCenter(fields.rt);
      return c ? {lat: c.lat, lon: c.lng} : null;
    }
    return {lat: Number(fields.lat), lon: Number(fields.lon)};
  }

  function getJSON(url, ms) {
    var controller = typeof AbortController !== "undefined" ? new AbortController() : null;
    var t = controller ? setTimeout(function () { controller.abort(); }, ms) : null;
    return fetch(url, {headers: {"Accept": "application/json"}, signal: controller ? controller.signal : undefined})
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).finally(function () { if (t) { clearTimeout(t); } });
  }

  function findSimilar(report) {
    var p = point(report.fields);
    if (!online() || !p || !report.fields.kategori) { return Promise.resolve([]); }
    var url = "/api/laporan/serupa?kategori=" + encodeURIComponent(report.fields.kategori) +
      "&lat=" + p.lat.toFixed(6) + "&lon=" + p.lon.toFixed(6);
    return getJSON(url, 5000).then(function (d) { return d.items || []; }, function () { return []; });
  }

  function hideSimilar() {
    similarBox.hidden = true;
    similarList.textContent = "";
  }

  function showSimilar(items) {
    similarList.textContent = "";
    items.forEach(function (it) {
      var li = el("li", {"data-ticket": it.ticket});
      if (it.photo) {
        li.appendChild(el("img", {src: "/foto/" + encodeURIComponent(it.photo), alt: "", loading: "lazy"}));
      }
      var title = el("strong", {}, cfg.lang === "en" ? it.name_en : it.name_id);
      li.appendChild(title);
      li.appendChild(document.createTextNode(" · " + (LABELS[it.status] || it.status)));
      li.appendChild(el("br"));
      li.appendChild(el("small", {}, [fmt(S.reportedOn, {date: dateText(it.created_at)}),
        fmt(S.distance, {m: Math.round(it.distance_m)}), fmt(S.supporters, {n: it.supporters})].join(" · ")));
      li.appendChild(el("br"));
      li.appendChild(el("a", {href: "/tiket/" + encodeURIComponent(it.ticket), "class": "code"}, it.ticket));
      var actions = el("div", {"class": "item-actions"});
      var btn = el("button", {type: "button", "class": "metoo"}, S.meToo);
      btn.addEventListener("click", function () { support(it.ticket, btn); });
      actions.appendChild(btn);
      li.appendChild(actions);
      similarList.appendChild(li);
    });
    similarBox.hidden = false;
    similarBox.scrollIntoView({block: "start"});
  }

  function support(ticket, btn) {
    btn.disabled = true;
    var key = supportKeys[ticket] || (supportKeys[ticket] = O.newKey());  // a retry is the same "me too"
    var body = new FormData();
    body.append("kunci", key);
    fetch("/api/laporan/" + encodeURIComponent(ticket) + "/dukung", {
      method: "POST", body: body, headers: {"Idempotency-Key": key, "Accept": "application/json"},
      credentials: "same-origin"
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (!r.ok) { throw new Error(d.message || ("HTTP " + r.status)); }
        return d;
      });
    }).then(function (d) {
      hideSimilar();
      resetForm();
      var link = el("a", {href: "/tiket/" + encodeURIComponent(d.ticket || ticket), id: "support-ticket"},
        d.ticket || ticket);
      showTemplate(fmt(S.supported, {n: d.supporters}), "ticket", link, "ok");
    }).catch(function (e) {
      btn.disabled = false;
      showMessage(fmt(S.supportFailed, {msg: e.message}), "error");
    });
  }

  function queue(report) {
    setBusy(true, S.saving);
    var key = O.newKey();
    return Promise.all(report.files.slice(0, page.maxPhotos).map(downscale)).then(function (photos) {
      return O.add({key: key, fields: report.fields, photos: photos, label: report.label});
    }).then(function (item) {
      lastKey = item.key;
      if (editingKey) { O.remove(editingKey); editingKey = null; }
      resetForm();
      showTemplate(S.queued, "code", el("span", {"class": "code", id: "provisional"}, item.provisional), "");
      setBusy(false);
      render();
      O.requestSync();
      return flushNow(false);
    }, function () {
      // no IndexedDB (private mode on some browsers): the plain form, sent at once by the browser
      setBusy(false);
      showMessage(S.storageFailed, "");
      $("kunci").value = $("kunci").value || key;
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (busy) { return; }
    var report = collect();
    var problem = locationProblem(report.fields);
    if (problem) {
      showMessage(problem, "error");
      $("lokasi").scrollIntoView({block: "start"});
      return;
    }
    if (report.files.length > page.maxPhotos) { fotoIn.reportValidity(); return; }
    hideSimilar();
    setBusy(true, S.checking);
    findSimilar(report).then(function (items) {
      setBusy(false);
      if (items.length) { showSimilar(items); return; }
      return queue(report);
    }).catch(function () { setBusy(false); });
  });

  $("serupa-new").addEventListener("click", function () {
    hideSimilar();
    if (!form.reportValidity()) { return; }
    var report = collect();
    var problem = locationProblem(report.fields);
    if (problem) { showMessage(problem, "error"); return; }
    queue(report);
  });
  $("serupa-cancel").addEventListener("click", function () {
    hideSimilar();
    form.scrollIntoView({block: "start"});
  });

  function resetForm() {
    form.reset();
    clearLocation();
    updateThumbs();
    $("kategori-help").textContent = "";
  }

  /* ---- editing a rejected report ----------------------------------------------------------- */

  function edit(item) {
    var f = item.fields || {};
    resetForm();
    catSel.value = f.kategori || "";
    catSel.dispatchEvent(new Event("change"));
    $("uraian").value = f.uraian || "";
    $("nama").value = f.nama || "";
    $("kontak").value = f.kontak || "";
    var radio = form.querySelector("input[name=anonimitas][value='" + (f.anonimitas === "rahasia" ? "rahasia" :
      "publik_tanpa_nama") + "']");
    if (radio) { radio.checked = true; }
    if (f.lokasi_sumber === "rt" && f.rt) {
      $("rt-pick").open = true;
      loadRT().then(function () { rtSel.value = f.rt; rtSel.dispatchEvent(new Event("change")); });
    } else if (f.lat && f.lon) {
      setLocation(f.lat, f.lon, f.lokasi_sumber || "pin", f.akurasi ? Number(f.akurasi) : null);
      map.setView([Number(f.lat), Number(f.lon)], Math.max(map.getZoom(), 16));
    }
    if (item.photos && item.photos.length && typeof DataTransfer !== "undefined") {
      try {
        var dt = new DataTransfer();
        item.photos.forEach(function (p) {
          dt.items.add(new File([p.blob], p.name || "foto.jpg", {type: p.blob.type || "image/jpeg"}));
        });
        fotoIn.files = dt.files;
      } catch (e) { /* the resident adds the photos again */ }
    }
    updateThumbs();
    editingKey = item.key;
    showMessage(S.editing + " " + (item.lastError || ""), "error");
    form.scrollIntoView({block: "start"});
  }

  /* ---- the resident's reports on this device ------------------------------------------------ */

  function itemView(kind, item, now) {
    var li = el("li", {"data-key": item.key, "data-status": kind});
    var badgeText = kind === "terkirim" ? S.stSent : kind === "ditolak" ? S.stRejected :
      (item.leaseUntil > now ? S.stSending : S.stQueued);
    li.appendChild(el("span", {"class": "badge " + kind}, badgeText));
    if (item.label) { li.appendChild(document.createTextNode(" " + item.label)); }
    li.appendChild(el("small", {}, " · " + dateText(item.createdAt, true)));
    var summary = kind === "terkirim" ? item.summary : (item.fields && item.fields.uraian);
    if (summary) { li.appendChild(el("div", {"class": "help"}, String(summary).slice(0, 120))); }
    if (kind === "terkirim") {
      var t = el("div");
      t.appendChild(document.createTextNode(S.ticket + ": "));
      t.appendChild(el("a", {href: item.url || ("/tiket/" + encodeURIComponent(item.ticket)), "class": "code ticket"},
        item.ticket));
      li.appendChild(t);
      if (item.secret) {
        var s = el("div");
        s.appendChild(document.createTextNode(S.secret + ": "));
        s.appendChild(el("span", {"class": "code secret"}, item.secret));
        li.appendChild(s);
      }
      if (item.sla_due) { li.appendChild(el("div", {}, S.due + ": " + dateText(item.sla_due))); }
      li.appendChild(el("div", {"class": "help"}, S.provisional + ": " + item.provisional));
    } else {
      var p = el("div");
      p.appendChild(document.createTextNode(S.provisional + ": "));
      p.appendChild(el("span", {"class": "code provisional"}, item.provisional));
      li.appendChild(p);
      if (kind === "ditolak") {
        li.appendChild(el("p", {"class": "notice error"}, item.lastError + (item.hint ? " " + item.hint : "")));
        var actions = el("div", {"class": "item-actions"});
        var e = el("button", {type: "button", "class": "edit"}, S.edit);
        e.addEventListener("click", function () { edit(item); });
        var d = el("button", {type: "button", "class": "secondary delete"}, S["delete"]);
        d.addEventListener("click", function () { O.remove(item.key).then(render); });
        actions.appendChild(e);
        actions.appendChild(d);
        li.appendChild(actions);
      } else if (item.attempts && item.leaseUntil <= now) {
        var next = Math.max(item.nextAttemptAt || 0, item.notBefore || 0);
        var why = item.lastError && item.lastError !== "network" ? " (" + item.lastError + ")" : "";
        if (next > now) {
          li.appendChild(el("small", {"class": "help retry"}, fmt(S.nextTry, {time: timeText(next)}) + why));
        }
      }
    }
    return li;
  }

  function lastKeyMessage(data) {
    if (!lastKey) { return; }
    var sent = data.sent.filter(function (s) { return s.key === lastKey; })[0];
    if (sent) {
      showTemplate(S.sentNow, "ticket", el("a", {href: sent.url, id: "confirmed-ticket", "class": "code"},
        sent.ticket), "ok");
      lastKey = null;
      return;
    }
    var queued = data.outbox.filter(function (i) { return i.key === lastKey; })[0];
    if (queued && queued.status === "ditolak") {
      showMessage(fmt(S.rejectedNow, {msg: queued.lastError + (queued.hint ? " " + queued.hint : "")}), "error");
      lastKey = null;
    }
  }

  var rendering = null, renderAgain = false;
  function render() {
    if (rendering) { renderAgain = true; return rendering; }
    rendering = O.all().then(function (data) {
      var now = Date.now();
      var queued = data.outbox.filter(function (i) { return i.status === "antri"; });
      var rejected = data.outbox.filter(function (i) { return i.status === "ditolak"; });
      var sending = queued.filter(function (i) { return i.leaseUntil > now; });
      var rows = [];
      data.outbox.forEach(function (i) { rows.push([i.status === "ditolak" ? "ditolak" : "antri", i]); });
      data.sent.forEach(function (i) { rows.push(["terkirim", i]); });
      rows.sort(function (a, b) { return (b[1].createdAt || 0) - (a[1].createdAt || 0); });
      list.textContent = "";
      rows.forEach(function (r) { list.appendChild(itemView(r[0], r[1], now)); });
      var lines = [];
      if (queued.length) {
        lines.push(fmt(!online() ? S.waitingSignal : sending.length ? S.sending : S.waitingRetry,
          {n: queued.length}));
      }
      if (rejected.length) { lines.push(fmt(S.rejectedCount, {n: rejected.length})); }
      if (!lines.length) { lines.push(data.sent.length ? S.allSent : S.nothing); }
      queueStatus.textContent = lines.join(" · ");
      lastKeyMessage(data);
      var ds = document.body.dataset;
      ds.queued = String(queued.length);
      ds.sent = String(data.sent.length);
      ds.rejected = String(rejected.length);
    }).catch(function (e) {
      queueStatus.textContent = String(e && e.message || e);
    }).then(function () {
      rendering = null;
      if (renderAgain) { renderAgain = false; return render(); }
    });
    return rendering;
  }

  /* ---- sending triggers -------------------------------------------------------------------- */

  function schedule(result) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!result || !result.pending || result.offline || result.nextAt === null) { return; }
    var wait = Math.min(Math.max(result.nextAt - Date.now(), 1000), 60 * 60 * 1000);
    timer = setTimeout(function () { flushNow(false); }, wait);
  }

  function flushNow(force) {
    return O.flush({force: force}).then(function (result) {
      schedule(result);
      return result;
    }, function () { return null; }).then(function (result) {
      return render().then(function () {
        flushes += 1;
        document.body.dataset.flushes = String(flushes);
        return result;
      });
    });
  }

  O.onChange(render);
  window.addEventListener("online", function () { render(); flushNow(true); });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { flushNow(false); }
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* no offline shell */ });
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "sigkel-outbox") { render(); }
    });
  }

  window.SigkelReport = {setLocation: setLocation, clearLocation: clearLocation, flush: flushNow, render: render};

  render().then(function () {
    document.body.dataset.flushes = "0";
    document.body.dataset.ready = "1";
    flushNow(false);
  });
})();
