/* Planner maps: one or two layers, each coloured by a field. Numeric fields are classified on the
   server (mapclassify: quantiles, natural breaks, equal interval); when both maps show the same field
   they get one classification over both layers, so a colour means the same value on both sides.
   Gi* bins, emerging patterns and yes/no fields keep fixed legends. No eval, no inline handlers. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("planner-config").textContent);
  var S = cfg.strings;
  var binColors = {};
  cfg.legend.forEach(function (l) { binColors[l[0]] = l[1]; });
  var patternColors = {hot: "#b2182b", cold: "#2166ac", other: "#d9d9d9"};
  var boolColors = {yes: "#2166ac", no: "#f4a582"};  // blue / orange: safe for colour-blind readers
  var facilityColor = "#7b241c";
  var locale = cfg.lang === "en" ? "en" : "id-ID";
  var numberFormat = new Intl.NumberFormat(locale, {maximumFractionDigits: 4});
  function $(id) { return document.getElementById(id); }
  var controls = {scheme: $("scheme"), k: $("k"), opacity: $("opacity"), opacityValue: $("opacity-value")};
  var states = [];
  var generation = 0;

  function el(tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined && text !== null) { n.textContent = text; }
    if (cls) { n.className = cls; }
    return n;
  }
  function opacity() { return controls.opacity ? Number(controls.opacity.value) / 100 : 0.75; }
  function fieldMeta(st) {
    for (var i = 0; i < st.meta.fields.length; i++) {
      if (st.meta.fields[i].name === st.field) { return st.meta.fields[i]; }
    }
    return null;
  }
  function labelOf(st, key) {
    for (var i = 0; i < st.meta.fields.length; i++) {
      if (st.meta.fields[i].name === key) { return st.meta.fields[i].label; }
    }
    return null;
  }
  function patternOf(v) {
    if (typeof v !== "string") { return null; }
    return v.indexOf("hot") >= 0 ? "hot" : v.indexOf("cold") >= 0 ? "cold" : "other";
  }
  function classOf(value, classes) {  // mapclassify: bins[i-1] < value <= bins[i]
    if (typeof value !== "number" || !isFinite(value) || !classes || !classes.bins.length) { return -1; }
    for (var i = 0; i < classes.bins.length; i++) {
      if (value <= classes.bins[i]) { return i; }
    }
    return classes.bins.length - 1;
  }
  function fillFor(st, p) {
    var f = fieldMeta(st);
    if (!f) { return st.meta.method === "fasilitas" ? facilityColor : null; }
    var v = p[f.name];
    if (f.kind === "bins") { return v === undefined || v === null ? null : (binColors[v] || null); }
    if (f.kind === "pattern") { var k = patternOf(v); return k ? patternColors[k] : null; }
    if (f.kind === "boolean") { return v === true ? boolColors.yes : v === false ? boolColors.no : null; }
    var i = classOf(v, st.classes);
    return i < 0 ? null : st.classes.colors[i];
  }
  function style(st, feature) {
    var fill = fillFor(st, feature.properties || {});
    var point = feature.geometry && feature.geometry.type === "Point";
    if (fill === null) {  // no value: outline only, still clickable
      return {color: "#777", weight: point ? 1 : 0.8, dashArray: "3 3", fillColor: "#ffffff", fillOpacity: 0,
              opacity: 0.9};
    }
    return {color: point ? "#333" : "#666", weight: point ? 1 : 0.4, dashArray: null, fillColor: fill,
            fillOpacity: opacity(), opacity: point ? 0.9 : 0.8};
  }
  function formatValue(v) {
    if (v === null || v === undefined) { return "–"; }
    if (v === true) { return S.yes; }
    if (v === false) { return S.no; }
    if (typeof v === "number") { return numberFormat.format(v); }
    return String(v);
  }
  function popup(st, p) {
    var table = el("table", null, "popup-table");
    Object.keys(p).forEach(function (key) {
      var tr = el("tr");
      var label = labelOf(st, key);
      tr.appendChild(el("td", label ? label + " (" + key + ")" : key, "key"));
      tr.appendChild(el("td", formatValue(p[key])));
      table.appendChild(tr);
    });
    return table;
  }

  function legendItem(color, label, count, extra) {
    var li = el("li");
    var sw = el("span", null, "swatch" + (color ? "" : " nodata"));
    if (color) { sw.style.background = color; }
    li.appendChild(sw);
    li.appendChild(el("span", label, "label"));
    if (count !== undefined && count !== null) { li.appendChild(el("span", "(" + count + ")", "count")); }
    if (extra) { Object.keys(extra).forEach(function (k) { li.setAttribute("data-" + k, extra[k]); }); }
    if (color) { li.setAttribute("data-color", color); }
    return li;
  }
  function renderLegend(st) {
    var ul = st.section.querySelector("ul.legend");
    var note = st.section.querySelector("p.legend-note");
    ul.textContent = "";
    note.textContent = "";
    var f = fieldMeta(st);
    var features = st.data.features;
    var missing = 0;
    if (!f) {
      ul.appendChild(legendItem(st.meta.method === "fasilitas" ? facilityColor : null,
        st.meta.method === "fasilitas" ? S.facility : S.outline, features.length));
      return;
    }
    if (f.kind === "bins") {
      cfg.legend.forEach(function (l) { ul.appendChild(legendItem(l[1], l[2], null, {value: l[0]})); });
    } else if (f.kind === "pattern") {
      [["hot", S.hot], ["cold", S.cold], ["other", S.otherPattern]].forEach(function (p) {
        ul.appendChild(legendItem(patternColors[p[0]], p[1]));
      });
    } else if (f.kind === "boolean") {
      var yes = 0, no = 0;
      features.forEach(function (ft) {
        var v = ft.properties[f.name];
        if (v === true) { yes++; } else if (v === false) { no++; } else { missing++; }
      });
      ul.appendChild(legendItem(boolColors.yes, S.yes, yes, {value: "true"}));
      ul.appendChild(legendItem(boolColors.no, S.no, no, {value: "false"}));
    } else if (st.classes) {
      var counts = st.classes.bins.map(function () { return 0; });
      features.forEach(function (ft) {
        var i = classOf(ft.properties[f.name], st.classes);
        if (i < 0) { missing++; } else { counts[i]++; }
      });
      st.classes.bins.forEach(function (upper, i) {
        ul.appendChild(legendItem(st.classes.colors[i], st.classes.labels[i], counts[i],
          {upper: String(upper), "class": String(i)}));
      });
      note.textContent = st.classes.field_label + " · " + st.classes.scheme_label +
        (st.classes.k < st.classes.k_requested ? " (" + S.fewer.replace("{n}", st.classes.k) + ")" : "") +
        " · " + (st.shared ? S.shared : S.own);
    }
    if (missing) { ul.appendChild(legendItem(null, S.noData, missing, {value: "null"})); }
  }
  function render(st) {
    if (!st.layer) { return; }
    st.layer.setStyle(function (feature) { return style(st, feature); });
    renderLegend(st);
    st.box.setAttribute("data-field", st.field || "");
    st.box.setAttribute("data-classes", st.classes ? JSON.stringify(st.classes.bins) : "");
    st.box.setAttribute("data-state", "ready");
  }
  function remember() {  // keep the view in the address, so a link shows the same map
    if (!window.history || !window.URLSearchParams) { return; }
    var params = new URLSearchParams();
    states.forEach(function (st) { params.append("run", st.meta.ref); });
    if (controls.scheme) { params.set("scheme", controls.scheme.value); }
    if (controls.k) { params.set("k", controls.k.value); }
    if (controls.opacity) { params.set("opacity", controls.opacity.value); }
    if (states.length && states[0].field) { params.set("field", states[0].field); }
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }
  function restyle() {
    if (controls.opacityValue) { controls.opacityValue.textContent = controls.opacity.value + "%"; }
    states.forEach(function (st) {
      if (st.layer) { st.layer.setStyle(function (feature) { return style(st, feature); }); }
    });
    remember();
  }

  function refresh() {
    var mine = ++generation;
    var groups = {};
    states.forEach(function (st) {
      if (!st.data) { return; }
      st.box.setAttribute("data-state", "loading");
      var f = fieldMeta(st);
      st.classes = null;
      st.shared = false;
      if (f && f.kind === "numeric") { (groups[f.name] = groups[f.name] || []).push(st); } else { render(st); }
    });
    Object.keys(groups).forEach(function (field) {
      var list = groups[field];
      var params = new URLSearchParams();
      list.forEach(function (st) { params.append("run", st.meta.ref); });
      params.set("field", field);
      params.set("scheme", controls.scheme ? controls.scheme.value : "quantiles");
      params.set("k", controls.k ? controls.k.value : "5");
      fetch(cfg.classesUrl + "?" + params.toString(), {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(String(r.status))); })
        .then(function (classes) {
          if (mine !== generation) { return; }
          list.forEach(function (st) { st.classes = classes; st.shared = list.length > 1; render(st); });
        })
        .catch(function () {
          list.forEach(function (st) {
            st.section.querySelector("p.legend-note").textContent = S.error;
            st.box.setAttribute("data-state", "error");
          });
        });
    });
    remember();
  }

  function isPoints(data) {
    return data.features.length > 0 && data.features.every(function (f) {
      return f.geometry && (f.geometry.type === "Point" || f.geometry.type === "MultiPoint");
    });
  }
  function addContext(st) {  // RW outlines under a point layer, so the points have a place (not clickable)
    if (!cfg.contextUrl) { return null; }
    return fetch(cfg.contextUrl, {headers: {"Accept": "application/geo+json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        st.context = L.geoJSON(data, {interactive: false,
          style: {color: "#888", weight: 1, fill: false, opacity: 0.8}}).addTo(st.map);
        st.context.bringToBack();
      })
      .catch(function () { return null; });
  }
  function fitAll() {  // one view for every map: the union of what they show
    var bounds = null;
    states.forEach(function (st) {
      [st.layer, st.context].forEach(function (layer) {
        if (!layer || !layer.getBounds().isValid()) { return; }
        var b = layer.getBounds();
        if (bounds) { bounds.extend(b); } else { bounds = L.latLngBounds(b.getSouthWest(), b.getNorthEast()); }
      });
    });
    if (!bounds) { return; }
    states.forEach(function (st) {
      if (bounds.getSouthWest().equals(bounds.getNorthEast())) { st.map.setView(bounds.getCenter(), 16); }
      else { st.map.fitBounds(bounds, {maxZoom: 17}); }
    });
  }

  document.querySelectorAll(".maps > section").forEach(function (section) {
    var index = Number(section.getAttribute("data-index"));
    var box = section.querySelector(".map-box");
    var meta = cfg.maps[index];
    var select = section.querySelector("select.field-select");
    var st = {section: section, box: box, meta: meta, map: window[box.getAttribute("data-map")],
              layer: null, context: null, data: null, classes: null, shared: false, field: null};
    var names = meta.fields.map(function (f) { return f.name; });
    st.field = cfg.field && names.indexOf(cfg.field) >= 0 ? cfg.field : (names[0] || null);
    if (select && st.field) { select.value = st.field; }
    if (select) {
      select.disabled = !names.length;
      select.addEventListener("change", function () { st.field = select.value || null; refresh(); });
    }
    states.push(st);
  });

  Promise.all(states.map(function (st) {
    return fetch(st.box.getAttribute("data-url"), {headers: {"Accept": "application/geo+json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(String(r.status))); })
      .then(function (data) {
        st.data = data;
        st.layer = L.geoJSON(data, {
          style: function (f) { return style(st, f); },
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, {radius: st.meta.method === "siting" ? 8 : 5});
          },
          onEachFeature: function (f, l) { l.bindPopup(function () { return popup(st, f.properties || {}); }); }
        }).addTo(st.map);
        st.box.setAttribute("data-features", String(data.features.length));
        return isPoints(data) ? addContext(st) : null;
      })
      .catch(function () {
        st.section.querySelector("p.legend-note").textContent = S.error;
        st.box.setAttribute("data-state", "error");
      });
  })).then(function () { fitAll(); refresh(); });

  if (controls.scheme) { controls.scheme.addEventListener("change", refresh); }
  if (controls.k) { controls.k.addEventListener("change", refresh); }
  if (controls.opacity) { controls.opacity.addEventListener("input", restyle); }

  var maps = states.map(function (st) { return st.map; });
  if (maps.length === 2) {  // move the two maps together
    var syncing = false;
    maps.forEach(function (m, i) {
      m.on("moveend", function () {
        if (syncing) { return; }
        syncing = true;
        maps[1 - i].setView(m.getCenter(), m.getZoom(), {animate: false});
        syncing = false;
      });
    });
  }
})();
