/* Staff work queue: one marker per row of the list (exact points), linked both ways. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("staff-config").textContent);
  var map = window[config.map];
  var rows = document.querySelectorAll("#queue tbody tr");
  var bounds = [];
  rows.forEach(function (row) {
    var lat = parseFloat(row.dataset.lat), lon = parseFloat(row.dataset.lon);
    if (!isFinite(lat) || !isFinite(lon)) { return; }
    var overdue = row.dataset.overdue === "1";
    var marker = L.circleMarker([lat, lon], {
      radius: 7, weight: 2, color: overdue ? "#a93226" : "#1f618d", fillOpacity: 0.7
    }).addTo(map);
    var link = row.querySelector("a");
    var popup = document.createElement("a");
    popup.href = link.href;
    popup.textContent = link.textContent;
    marker.bindPopup(popup);
    row.addEventListener("mouseenter", function () { marker.setStyle({ weight: 5 }); });
    row.addEventListener("mouseleave", function () { marker.setStyle({ weight: 2 }); });
    bounds.push([lat, lon]);
  });
  if (bounds.length) { map.fitBounds(bounds, { maxZoom: 17, padding: [20, 20] }); }
  document.body.dataset.markers = String(bounds.length);
  document.body.dataset.ready = "1";
})();
