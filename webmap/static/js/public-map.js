/* SIG Kelurahan public map. Plain ES2017, no dependencies beyond Leaflet (served by us).
 * Every text from data is set with textContent: names from the database never become HTML. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("sigkel-config").textContent);
  var S = cfg.strings;
  var map = window[cfg.map];
  var statusEl = document.getElementById("map-status");
  var panel = document.getElementById("panel");
  var groups = {};      // category -> L.layerGroup
  var markers = {};     // facility id -> marker
  var colors = {};
  cfg.categories.forEach(function (c) { colors[c.code] = c.color; });

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function setStatus(text) { statusEl.textContent = text; }
  function distance(m) {
    return m < 1000 ? Math.round(m) + " m" : (m / 1000).toFixed(1).replace(".", S.decimal) + " km";
  }
  function getJSON(url) {
    return fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.message || ("HTTP " + r.status)); }
        return body;
      });
    });
  }
  function directions(from, to) {
    var a = el("a", {href: "https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=" +
      (from ? from.lat + "%2C" + from.lon : "") + "%3B" + to.lat + "%2C" + to.lon,
      rel: "noopener", target: "_blank"}, S.directions);
    return a;
  }

  function popupFor(p) {
    var box = el("div", {"class": "popup"});
    box.appendChild(el("h3", {}, p.name));
    box.appendChild(el("p", {}, cfg.lang === "en" ? p.category_en : p.category_id));
    if (p.address) { box.appendChild(el("p", {}, S.address + ": " + p.address)); }
    if (p.hours) { box.appendChild(el("p", {}, S.hours + ": " + p.hours)); }
    if (p.contact) { box.appendChild(el("p", {}, S.contact + ": " + p.contact)); }
    if (p.services && p.services.length) {
      box.appendChild(el("p", {}, S.services + ":"));
      var list = el("ul");
      p.services.forEach(function (s) {
        if (typeof s === "string") { list.appendChild(el("li", {}, s)); return; }
        var item = el("li", {}, s.layanan);
        if (s.syarat && s.syarat.length) {
          item.appendChild(el("br"));
          item.appendChild(el("small", {}, S.requirements + ": " + s.syarat.join("; ")));
        }
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    if (p.synthetic) { box.appendChild(el("p", {}, S.synthetic)); }
    return box;
  }

  function addFacilities(data) {
    data.features.forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates;
      var m = L.circleMarker([c[1], c[0]], {radius: 7, weight: 2, color: "#fff",
        fillColor: colors[p.category] || "#555", fillOpacity: 0.95});
      m.bindPopup(function () { return popupFor(p); });
      m.bindTooltip(el("span", {}, p.name));
      m.feature = f;
      if (!groups[p.category]) { groups[p.category] = L.layerGroup().addTo(map); }
      groups[p.category].addLayer(m);
      markers[p.id] = m;
    });
  }

  function loadFacilities() {
    return getJSON(cfg.api.facilities).then(function (data) {
      addFacilities(data);
      setStatus(S.loaded.replace("{n}", data.features.length));
      document.body.setAttribute("data-facilities", String(data.features.length));
    }).catch(function (e) { setStatus(S.loadFailed + " (" + e.message + ")"); });
  }

  function loadBoundaries() {
    return getJSON(cfg.api.rw).then(function (data) {
      var rw = L.geoJSON(data, {
        style: {color: "#7b241c", weight: 2, fill: false},
        interactive: false,
        onEachFeature: function (f, layer) {
          layer.bindTooltip(el("span", {}, f.properties.name), {permanent: true,
            direction: "center", className: "rw-label"});
        }
      }).addTo(map);
      function labels() {
        var show = map.getZoom() >= 15;
        rw.eachLayer(function (l) { if (show) { l.openTooltip(); } else { l.closeTooltip(); } });
      }
      map.on("zoomend", labels);
      labels();
      if (!cfg.center) { map.fitBounds(rw.getBounds()); }
    });
  }

  var rtLayer = null;
  function loadRT() {
    if (map.getZoom() < 16) { if (rtLayer) { map.removeLayer(rtLayer); rtLayer = null; } return; }
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return v.toFixed(6); }).join(",");
    getJSON(cfg.api.rt + "?bbox=" + bbox).then(function (data) {
      if (rtLayer) { map.removeLayer(rtLayer); }
      rtLayer = L.geoJSON(data, {style: {color: "#a04000", weight: 1, dashArray: "4 3", fill: false},
        interactive: false}).addTo(map);
    });
  }
  map.on("moveend", loadRT);

  function showPanel(title, nodes) {
    panel.textContent = "";
    panel.appendChild(el("h2", {}, title));
    nodes.forEach(function (n) { panel.appendChild(n); });
  }

  function nearestList(items, from) {
    var list = el("ul", {"class": "nearest"});
    items.forEach(function (f) {
      var li = el("li", {"data-facility": f.id});
      var name = el("button", {"class": "secondary", type: "button"}, f.name);
      name.addEventListener("click", function () { focusFacility(f.id, f.lat, f.lon); });
      li.appendChild(name);
      li.appendChild(document.createTextNode(" · " + (cfg.lang === "en" ? f.category_en : f.category_id) +
        " · " + distance(f.distance_m) + " "));
      li.appendChild(directions(from, f));
      list.appendChild(li);
    });
    return list;
  }

  function focusFacility(id, lat, lon) {
    map.setView([lat, lon], Math.max(map.getZoom(), 17));
    var m = markers[id];
    if (m) { m.openPopup(); }
  }

  var here = null;
  function whatsHere(latlng) {
    if (here) { map.removeLayer(here); }
    here = L.circleMarker(latlng, {radius: 6, color: "#000", weight: 2, fillOpacity: 0}).addTo(map);
    setStatus(S.looking);
    getJSON(cfg.api.whatsHere + "?lat=" + latlng.lat.toFixed(6) + "&lon=" + latlng.lng.toFixed(6))
      .then(function (d) {
        var units = el("p", {"class": "units"});
        units.textContent = [d.kelurahan ? S.kelurahan + " " + d.kelurahan.name : S.outside,
          d.rw ? d.rw.name : null, d.rt ? d.rt.name + (d.rt.synthetic ? " (" + S.syntheticShort + ")" : "")
          : null].filter(Boolean).join(" · ");
        showPanel(S.whatsHere, [units, el("p", {}, S.nearestEach), nearestList(d.nearest, {lat: d.lat, lon: d.lon})]);
        setStatus("");
      }).catch(function (e) { setStatus(e.message); });
  }
  map.on("click", function (e) { whatsHere(e.latlng); });

  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { setStatus(S.noLocation); return; }
    setStatus(S.locating);
    navigator.geolocation.getCurrentPosition(function (pos) {
      var from = {lat: pos.coords.latitude, lon: pos.coords.longitude};
      var category = document.getElementById("nearest-category").value;
      getJSON(cfg.api.nearest + "?k=5&lat=" + from.lat.toFixed(6) + "&lon=" + from.lon.toFixed(6) +
        (category ? "&category=" + encodeURIComponent(category) : ""))
        .then(function (d) {
          if (here) { map.removeLayer(here); }
          here = L.circleMarker([from.lat, from.lon], {radius: 7, color: "#1f618d", weight: 3}).addTo(map);
          showPanel(S.nearestTitle + " (±" + Math.round(pos.coords.accuracy) + " m)", [nearestList(d.facilities, from)]);
          setStatus("");
        }).catch(function (e) { setStatus(e.message); });
    }, function () { setStatus(S.noLocation); }, {enableHighAccuracy: true, timeout: 15000});
  });

  document.querySelectorAll("input[data-category]").forEach(function (box) {
    box.addEventListener("change", function () {
      var g = groups[box.getAttribute("data-category")];
      if (!g) { return; }
      if (box.checked) { g.addTo(map); } else { map.removeLayer(g); }
    });
  });

  document.getElementById("search-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = document.getElementById("search").value.trim();
    if (!q) { return; }
    getJSON(cfg.api.facilities + "?limit=20&q=" + encodeURIComponent(q)).then(function (d) {
      var items = d.features.map(function (f) {
        var p = f.properties;
        return {id: p.id, name: p.name, category_id: p.category_id, category_en: p.category_en,
                lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0], distance_m: null};
      });
      var list = el("ul", {"class": "results"});
      items.forEach(function (f) {
        var li = el("li", {"data-facility": f.id});
        var b = el("button", {"class": "secondary", type: "button"}, f.name);
        b.addEventListener("click", function () { focusFacility(f.id, f.lat, f.lon); });
        li.appendChild(b);
        li.appendChild(document.createTextNode(" · " + (cfg.lang === "en" ? f.category_en : f.category_id)));
        list.appendChild(li);
      });
      showPanel(S.results.replace("{n}", d.numberMatched).replace("{q}", q),
        items.length ? [list] : [el("p", {}, S.noResults)]);
      if (items.length === 1) { focusFacility(items[0].id, items[0].lat, items[0].lon); }
    }).catch(function (err) { setStatus(err.message); });
  });

  Promise.all([loadBoundaries(), loadFacilities()]).then(function () {
    document.body.setAttribute("data-ready", "1");
  });
})();
