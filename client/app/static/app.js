// The connections page follows its connections with one request per tick, however many there
// are: `GET /api/v1/connections` answers every connection of the signed-in user with its sync
// state. While a sync is queued or running it polls often and shows the page count and the
// transactions added so far, then reloads once that sync has finished; otherwise it polls now
// and then and reloads when a connection changed by itself (a webhook). A hidden tab does not
// poll; showing it again polls at once. A failed check backs off (doubling up to a minute); a
// sign-out (401/403) stops the polling; a card whose connection is gone (deleted in another
// tab) reloads the page.
(function () {
  "use strict";
  var ACTIVE = ["queued", "running"];
  var FIRST_CHECK = 300;  // ms before the first check of a sync in progress
  var BUSY_CHECK = 400;   // ms between checks while a sync is in progress
  var IDLE_CHECK = 3000;  // ms between checks while every connection is idle
  var MAX_BACKOFF = 60000;  // ms: the longest wait after failed checks in a row

  function describe(sync) {
    var run = sync.run;
    if (sync.state === "queued") { return "Sync queued…"; }
    if (sync.state === "running") {
      if (!run.pages) { return "Syncing: asking the bank…"; }
      return "Syncing: page " + run.pages + ", " + run.added + " new so far…";
    }
    if (sync.state === "failed") {
      return "Last sync failed (" + (run.error ? run.error.code : "unknown") + ").";
    }
    if (!(run.added || run.modified || run.removed)) {
      return "Synced: up to date, nothing new since the last sync.";
    }
    return "Synced: " + run.added + " new, " + run.modified + " updated, " + run.removed + " removed.";
  }

  // A box whose sync was in progress when the page was rendered: show the progress; true once
  // that sync has finished (the server renders the final state).
  function progressed(box, sync) {
    box.dataset.state = sync.state;
    box.querySelector(".text").textContent = describe(sync);
    return ACTIVE.indexOf(sync.state) < 0;
  }

  // A box that was idle: true when its connection changed without the user (a webhook started
  // a sync or says the bank wants a sign-in).
  function changed(box, conn) {
    var run = conn.sync && conn.sync.run;
    return conn.status !== box.dataset.status || ACTIVE.indexOf(conn.sync.state) >= 0 ||
      String(run ? run.id : "") !== box.dataset.run;
  }

  function reload() { window.location.reload(); }

  // One timer for the whole page; `aria-busy` on the list while a check is out, so screen
  // readers announce the cards' new states together.
  function follow(list, boxes) {
    var timer = null;
    var asking = false;
    var done = false;

    function busy() {
      return boxes.some(function (box) { return ACTIVE.indexOf(box.dataset.state) >= 0; });
    }

    function later(ms) {
      if (done || document.visibilityState === "hidden") { return; }
      timer = window.setTimeout(check, ms);
    }

    var backoff = IDLE_CHECK;  // the wait after the next failed check

    function settle(reply) {
      var conns = {};
      var finished = false;
      var moved = false;
      reply.connections.forEach(function (conn) { conns[conn.id] = conn; });
      boxes.forEach(function (box) {
        var conn = conns[box.dataset.connection];
        if (!conn) {
          moved = true;  // deleted meanwhile: the page shows a connection that is gone
        } else if (ACTIVE.indexOf(box.dataset.state) < 0) {
          moved = moved || changed(box, conn);
        } else if (progressed(box, conn.sync)) {
          box.dataset.reloading = "true";
          finished = true;
        }
      });
      backoff = IDLE_CHECK;
      if (finished) {
        done = true;
        window.setTimeout(reload, 600);  // a moment to read the final counts
      } else if (moved) {
        done = true;
        reload();
      } else {
        later(busy() ? BUSY_CHECK : IDLE_CHECK);
      }
    }

    // An error reply, no reply (the app is restarting) or one `settle` could not read: ask
    // again later, each time twice as late, not every tick of a sync shown as running.
    function failed() {
      later(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF);
    }

    function check() {
      timer = null;
      if (done || document.visibilityState === "hidden") { return; }
      asking = true;
      list.setAttribute("aria-busy", "true");
      fetch(list.dataset.pollUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (reply) {
          if (reply.status === 401 || reply.status === 403) {
            done = true;  // signed out: no answer will come until the page is loaded again
            return null;
          }
          if (!reply.ok) { throw new Error("connections: HTTP " + reply.status); }
          return reply.json();
        })
        .then(function (reply) { if (reply) { settle(reply); } })
        .catch(failed)
        .then(function () {
          asking = false;
          list.removeAttribute("aria-busy");  // the live regions may speak now
        });
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        window.clearTimeout(timer);
        timer = null;
      } else if (timer === null && !asking) {
        check();
      }
    });
    later(busy() ? FIRST_CHECK : IDLE_CHECK);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector("[data-poll-url]");
    var boxes = Array.prototype.slice.call(document.querySelectorAll(".sync-state[data-connection]"));
    if (list && boxes.length) { follow(list, boxes); }
  });
})();
