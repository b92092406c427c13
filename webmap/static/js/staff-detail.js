/* Proof of fix: the device's position goes with the "after" photo (the server checks the distance). */
(function () {
  "use strict";
  var form = document.getElementById("after-form");
  if (form && navigator.geolocation) {
    var note = document.getElementById("after-loc");
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("after-lat").value = pos.coords.latitude.toFixed(7);
      document.getElementById("after-lon").value = pos.coords.longitude.toFixed(7);
      note.textContent = "±" + Math.round(pos.coords.accuracy) + " m";
    }, function () {
      note.textContent = "GPS foto akan dipakai / the photo's GPS will be used";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  document.body.dataset.ready = "1";
})();
