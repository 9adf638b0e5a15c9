(function () {
  "use strict";
  /* Link JS's frame: tell the opening page what happened (to its origin only), and exit
     Link when that page asks (handler.exit) or the user presses Escape. */
  var embed = JSON.parse(document.getElementById("link-embed").textContent);
  function exit() {
    var form = document.getElementById("link-exit");
    if (form) { form.submit(); }
  }
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== embed.origin) { return; }
    if (event.data && event.data.action === "exit") { exit(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); exit(); }
  });
  window.parent.postMessage(embed.message, embed.origin);
})();
