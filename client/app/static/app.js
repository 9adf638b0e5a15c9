// Sync progress: while a connection's sync is queued or running, poll its state and show the
// page count and the transactions added so far; reload once it has finished.
(function () {
  "use strict";
  var ACTIVE = ["queued", "running"];

  function describe(data) {
    var run = data.run;
    if (data.state === "queued") { return "Sync queued…"; }
    if (data.state === "running") {
      if (!run.pages) { return "Syncing: asking the bank…"; }
      return "Syncing: page " + run.pages + ", " + run.added + " new so far…";
    }
    if (data.state === "failed") {
      return "Last sync failed (" + (run.error ? run.error.code : "unknown") + ").";
    }
    return "Synced: " + run.added + " new, " + run.modified + " updated, " + run.removed + " removed.";
  }

  function watch(box) {
    var text = box.querySelector(".text");
    function poll() {
      fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (reply) { return reply.ok ? reply.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          box.dataset.state = data.state;
          text.textContent = describe(data);
          if (ACTIVE.indexOf(data.state) >= 0) {
            window.setTimeout(poll, 400);
          } else {
            box.dataset.reloading = "true";  // the server renders the final state
            window.setTimeout(function () { window.location.reload(); }, 600);
          }
        });
    }
    window.setTimeout(poll, 300);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".sync-state").forEach(function (box) {
      if (ACTIVE.indexOf(box.dataset.state) >= 0) { watch(box); }
    });
  });
})();
