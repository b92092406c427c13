/* A run's status page: poll the status every 2 s until the run is done or failed, then show the links. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("run-config").textContent);
  var main = document.getElementById("run");
  var badge = document.getElementById("run-status");
  var elapsed = document.getElementById("run-elapsed");
  var message = document.getElementById("run-message");
  var names = cfg.strings;
  var number = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en" : "id-ID",
    {minimumFractionDigits: 1, maximumFractionDigits: 1});
  var failures = 0;

  function show(state) {
    main.setAttribute("data-status", state.status);
    badge.className = "badge " + state.status;
    badge.textContent = names[state.status] || state.status;
    elapsed.textContent = number.format(state.elapsed_s || 0);
    message.textContent = state.message || "";
    document.getElementById("run-done").hidden = state.status !== "done";
    document.getElementById("run-failed").hidden = state.status !== "failed";
    if (state.finished) { document.getElementById("run-finished").textContent = state.finished + " WIB"; }
    if (state.map_url) { document.getElementById("run-map").href = state.map_url; }
  }
  function poll() {
    fetch(cfg.statusUrl, {headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(String(r.status))); })
      .then(function (state) {
        failures = 0;
        show(state);
        if (state.status === "running") { window.setTimeout(poll, cfg.interval); }
      })
      .catch(function () {  // the server restarting: keep trying, more slowly
        failures += 1;
        window.setTimeout(poll, cfg.interval * Math.min(10, 1 + failures));
      });
  }
  if (main.getAttribute("data-status") === "running") { window.setTimeout(poll, cfg.interval); }
})();
