/* Planner maps: a run's output layer coloured by Gi* bin (or pattern / density). */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("planner-config").textContent);
  var colors = {};
  cfg.legend.forEach(function (l) { colors[l[0]] = l[1]; });
  var patternColors = {"hot": "#b2182b", "cold": "#2166ac"};
  function el(tag, text) { var n = document.createElement(tag); n.textContent = text; return n; }
  function popup(p) {
    var box = document.createElement("div");
    [["count", p.count], ["gi_z", p.gi_z], ["gi_p", p.gi_p], ["gi_bin", p.gi_bin],
     ["category", p.category], ["density_km2", p.density_km2]].forEach(function (kv) {
      if (kv[1] !== undefined && kv[1] !== null) { box.appendChild(el("div", kv[0] + ": " + kv[1])); }
    });
    return box;
  }
  function style(p) {
    var fill = "#d9d9d9";
    if (p.gi_bin !== undefined) { fill = colors[p.gi_bin]; }
    else if (p.category) { fill = p.category.indexOf("hot") >= 0 ? patternColors.hot :
      p.category.indexOf("cold") >= 0 ? patternColors.cold : "#d9d9d9"; }
    else if (p.density_km2 !== undefined) { fill = "#b2182b"; }
    return {color: "#666", weight: 0.3, fillColor: fill,
            fillOpacity: p.density_km2 !== undefined ? Math.min(0.85, p.density_km2 / 2000) : 0.75};
  }
  var maps = [];
  document.querySelectorAll(".map-box").forEach(function (box) {
    var map = window[box.getAttribute("data-map")];
    maps.push(map);
    fetch(box.getAttribute("data-url")).then(function (r) { return r.json(); }).then(function (data) {
      var layer = L.geoJSON(data, {style: function (f) { return style(f.properties); },
        onEachFeature: function (f, l) { l.bindPopup(function () { return popup(f.properties); }); }}).addTo(map);
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
      box.setAttribute("data-features", String(data.features.length));
    });
  });
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
