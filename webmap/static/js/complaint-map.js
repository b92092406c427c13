/* SIG Kelurahan public complaint map (/laporan). Plain ES2017, Leaflet only.
 *
 * One request for all public complaints (their generalised points), filtered here: cheap on a weak
 * connection. Complaints sharing a point (the 100 m grid, an RT's point) become one circle whose popup
 * lists them. Drawn on a canvas: thousands of points stay smooth on a phone.
 * For tests: body[data-ready]="1", body[data-complaints] = complaints loaded, body[data-visible] = after
 * the filters, body[data-markers] = circles drawn.
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("sigkel-config").textContent);
  var S = cfg.strings;
  var map = window[cfg.map];
  var renderer = L.canvas({padding: 0.3});
  var layer = L.layerGroup().addTo(map);
  var features = [];
  var catSel = document.getElementById("complaint-category");
  var statusSel = document.getElementById("complaint-status");
  var statusEl = document.getElementById("map-status");
  var countEl = document.getElementById("complaint-count");
  var OPEN = {diterima: true, verifikasi: true, ditindaklanjuti: true};
  var COLORS = {terbuka: "#d35400", selesai: "#1e8449", ditutup: "#7f8c8d"};
  var MAX_LISTED = 8;
  var fitted = false;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function fmt(t, v) { return String(t).replace(/\{(\w+)\}/g, function (m, k) { return v[k] === undefined ? m : v[k]; }); }
  function group(status) { return OPEN[status] ? "terbuka" : status === "selesai" ? "selesai" : "ditutup"; }
  function dateText(value) {
    var d = new Date(value);
    return isNaN(d.getTime()) ? "" : d.toLocaleDateString(cfg.lang === "en" ? "en-GB" : "id-ID",
      {day: "numeric", month: "short", year: "numeric"});
  }

  function popupFor(items) {
    var box = el("div", {"class": "popup"});
    if (items.length > 1) { box.appendChild(el("h3", {}, fmt(S.here, {n: items.length}))); }
    var ul = el("ul");
    items.slice(0, MAX_LISTED).forEach(function (p) {
      var li = el("li", {"data-ticket": p.ticket});
      li.appendChild(el("strong", {}, cfg.lang === "en" ? p.category_en : p.category_id));
      li.appendChild(el("br"));
      li.appendChild(el("span", {"class": "st"}, S.statusLabels[p.status] || p.status));
      li.appendChild(document.createTextNode(" · " + S.reported + " " + dateText(p.created_at)));
      if (p.supporters) { li.appendChild(document.createTextNode(" · " + fmt(S.supporters, {n: p.supporters}))); }
      li.appendChild(el("br"));
      li.appendChild(el("a", {href: "/tiket/" + encodeURIComponent(p.ticket)}, S.view + " " + p.ticket));
      ul.appendChild(li);
    });
    box.appendChild(ul);
    if (items.length > MAX_LISTED) { box.appendChild(el("p", {}, fmt(S.more, {n: items.length - MAX_LISTED}))); }
    return box;
  }

  function rank(spot) {
    var open = spot.items.some(function (p) { return OPEN[p.status]; });
    var done = spot.items.some(function (p) { return p.status === "selesai"; });
    return open ? 2 : done ? 1 : 0;
  }

  function draw() {
    var cat = catSel.value, st = statusSel.value;
    var shown = features.filter(function (f) {
      var p = f.properties;
      return (!cat || p.category === cat) && (!st || group(p.status) === st);
    });
    var spots = {}, order = [];
    shown.forEach(function (f) {
      var c = f.geometry.coordinates;
      var key = c[1].toFixed(6) + "," + c[0].toFixed(6);
      if (!spots[key]) { spots[key] = {lat: c[1], lon: c[0], items: []}; order.push(key); }
      spots[key].items.push(f.properties);
    });
    layer.clearLayers();
    // canvas draws in order: closed complaints first, open ones on top where they overlap
    order.sort(function (a, b) { return rank(spots[a]) - rank(spots[b]); });
    order.forEach(function (key) {
      var s = spots[key];
      var anyOpen = s.items.some(function (p) { return OPEN[p.status]; });
      var anyDone = s.items.some(function (p) { return p.status === "selesai"; });
      var color = COLORS[anyOpen ? "terbuka" : anyDone ? "selesai" : "ditutup"];
      s.items.sort(function (a, b) {  // open first, then newest
        return (OPEN[b.status] ? 1 : 0) - (OPEN[a.status] ? 1 : 0) || (a.created_at < b.created_at ? 1 : -1);
      });
      var m = L.circleMarker([s.lat, s.lon], {renderer: renderer, radius: Math.min(16, 5 + 2 * Math.sqrt(s.items.length - 1)),
        color: "#fff", weight: 1.5, fillColor: color, fillOpacity: 0.9});
      m.bindPopup(function () { return popupFor(s.items); }, {maxWidth: 280});
      layer.addLayer(m);
    });
    var text = fmt(S.loaded, {n: shown.length});
    statusEl.textContent = text;
    countEl.textContent = text + ".";
    document.body.dataset.visible = String(shown.length);
    document.body.dataset.markers = String(order.length);
    if (!fitted && order.length) {
      fitted = true;
      map.fitBounds(L.latLngBounds(order.map(function (k) { return [spots[k].lat, spots[k].lon]; })),
        {padding: [20, 20], maxZoom: 17});
    }
  }

  // RW outlines for orientation (offices may run without a basemap), under the complaints
  map.createPane("rw").style.zIndex = 350;
  fetch("/api/layers/rw.geojson", {headers: {"Accept": "application/geo+json"}}).then(function (r) {
    return r.ok ? r.json() : null;
  }).then(function (data) {
    if (data) {
      L.geoJSON(data, {pane: "rw", style: {color: "#7b241c", weight: 1, opacity: 0.6, fill: false},
        interactive: false}).addTo(map);
    }
  }).catch(function () { /* the complaints alone */ });

  catSel.addEventListener("change", draw);
  statusSel.addEventListener("change", draw);

  fetch(cfg.api, {headers: {"Accept": "application/geo+json"}}).then(function (r) {
    if (!r.ok) { throw new Error("HTTP " + r.status); }
    return r.json();
  }).then(function (data) {
    features = data.features || [];
    document.body.dataset.complaints = String(features.length);
    draw();
  }).catch(function (e) {
    statusEl.textContent = S.loadFailed + " (" + e.message + ")";
    countEl.textContent = statusEl.textContent;
  }).then(function () {
    document.body.dataset.ready = "1";
  });
})();
