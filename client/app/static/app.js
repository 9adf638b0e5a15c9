// Sync progress: while a connection's sync is queued or running, poll its state and show the
// page count and the transactions added so far; reload once it has finished. Otherwise, reload
// when the connection changes by itself (a webhook).
(function () {
  "use strict";
  var ACTIVE = ["queued", "running"];
  var IDLE_CHECK = 3000;  // ms between checks of an idle connection

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
    if (!(run.added || run.modified || run.removed)) {
      return "Synced: up to date, nothing new since the last sync.";
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

  // An idle connection changes without the user too: the bank's webhooks start a sync or
  // say it needs a sign-in. Check now and then, and reload to show what changed.
  function follow(box) {
    function check() {
      fetch(box.dataset.connectionUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (reply) { return reply.ok ? reply.json() : null; })
        .then(function (conn) {
          var run = conn && conn.sync && conn.sync.run;
          var changed = conn && (conn.status !== box.dataset.status ||
            ACTIVE.indexOf(conn.sync.state) >= 0 || String(run ? run.id : "") !== box.dataset.run);
          if (changed) { window.location.reload(); } else { window.setTimeout(check, IDLE_CHECK); }
        })
        .catch(function () { window.setTimeout(check, IDLE_CHECK); });
    }
    window.setTimeout(check, IDLE_CHECK);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".sync-state").forEach(function (box) {
      if (ACTIVE.indexOf(box.dataset.state) >= 0) { watch(box); } else { follow(box); }
    });
  });
})();
