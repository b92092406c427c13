/* The run form: show only the fields the chosen method uses (without JavaScript all are shown). */
(function () {
  "use strict";
  var form = document.getElementById("run-form");
  if (!form) { return; }
  function chosen() {
    var checked = form.querySelector("input[name=method]:checked");
    return checked ? checked.value : "";
  }
  function update() {
    var method = chosen();
    form.querySelectorAll("[data-methods]").forEach(function (part) {
      var show = !method || part.getAttribute("data-methods").split(" ").indexOf(method) >= 0;
      part.hidden = !show;
      part.querySelectorAll("input, select").forEach(function (input) { input.disabled = !show; });
    });
  }
  form.querySelectorAll("input[name=method]").forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  form.addEventListener("submit", function () {
    var button = document.getElementById("run-submit");
    window.setTimeout(function () { button.disabled = true; }, 0);  // one click, one run
  });
  update();
})();
