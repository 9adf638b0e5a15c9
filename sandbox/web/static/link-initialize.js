/*
 * Plaid Link's drop-in script (link-initialize.js) as the bank sandbox serves it.
 *
 * An app loads it from the sandbox instead of https://cdn.plaid.com and keeps its code:
 * Plaid.create({token, onSuccess, onExit, onEvent, onLoad}) returns a handler whose open()
 * shows the sandbox's Link panes in a full-viewport iframe over the page. The frame answers
 * with postMessage to this page's origin only; this script accepts messages only from that
 * frame and the sandbox's origin, so no other frame can fake a callback. Every Link page
 * posts one message as it loads; a page in the frame that stays silent (the browser refused
 * to frame it, or Link lost its session) ends Link with onExit and an error, so the user is
 * never left behind a blank overlay. The banks' own pages post nothing: over them the
 * overlay offers a close button.
 * Self-contained: no build step, no third-party code.
 */
(function () {
  "use strict";

  var SOURCE = "plaid-sandbox-link"; // marks the messages Link's frame posts
  var SCRIPT_PATH = /\/link\/v2\/stable\/link-initialize\.js(?:[?#].*)?$/;
  // The keys of Plaid's onEvent metadata (its OpenAPI document's LinkEventMetadata, with
  // link_session_id and timestamp); those an event does not carry are null.
  var EVENT_KEYS = [
    "error_type", "error_code", "error_message", "exit_status", "institution_id",
    "institution_name", "institution_search_query", "mfa_type", "view_name", "selection",
    "brand_name", "match_reason", "routing_number", "account_number_mask",
    "request_id", "link_session_id", "timestamp"
  ];
  var EXIT_RETRY_MS = 1500; // a frame at the bank's page cannot exit: reload Link's pane
  var SILENCE_MS = 3000; // a Link page that loaded without a word by then is not showing
  // onExit's error when Link's frame fell silent: Plaid's error object (its
  // INTERNAL_SERVER_ERROR), saying why for the developer.
  var FRAME_FAILED = {
    error_type: "API_ERROR",
    error_code: "INTERNAL_SERVER_ERROR",
    error_code_reason: null,
    error_message: "Link's frame showed a page that did not answer: the browser refused to " +
      "frame it, or Link lost its session (the sandbox's cookie is withheld when this page " +
      "and the sandbox are different sites)",
    display_message: null,
    documentation_url: "https://plaid.com/docs/errors/api/#internal_server_error",
    suggested_action: null,
    status: null
  };

  function thisScript() {
    if (document.currentScript && SCRIPT_PATH.test(document.currentScript.src)) {
      return document.currentScript.src;
    }
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (SCRIPT_PATH.test(scripts[i].src)) { return scripts[i].src; }
    }
    return null;
  }

  var src = thisScript();
  if (!src) {
    console.error("Plaid Link (sandbox): load this script with a <script src> ending in " +
      "/link/v2/stable/link-initialize.js; it finds the sandbox from its own address.");
    return;
  }
  var sandboxBase = src.replace(SCRIPT_PATH, "");
  var sandboxOrigin = new URL(src).origin;

  function fail(message) {
    var text = "Plaid.create: " + message;
    console.error(text);
    throw new Error(text);
  }

  function checkConfig(config) {
    if (!config || typeof config !== "object") {
      fail("pass a config object: Plaid.create({ token, onSuccess, onExit, onEvent })");
    }
    if (typeof config.token !== "string" || config.token === "") {
      fail("config.token is required: a link_token from /link/token/create");
    }
    if (typeof config.onSuccess !== "function") {
      fail("config.onSuccess is required and must be a function(public_token, metadata)");
    }
    ["onExit", "onEvent", "onLoad"].forEach(function (name) {
      if (config[name] != null && typeof config[name] !== "function") {
        fail("config." + name + " must be a function");
      }
    });
    if (window.location.origin === "null") {
      fail("serve this page over http(s): Link's frame answers the page by its origin");
    }
    if (config.receivedRedirectUri) {
      console.warn("Plaid Link (sandbox): receivedRedirectUri is ignored; the sandbox's " +
        "OAuth banks return inside Link's frame, so Link never needs reopening.");
    }
    if (new URL(sandboxBase).hostname !== window.location.hostname) {
      console.warn("Plaid Link (sandbox): this page (" + window.location.hostname + ") and " +
        "the sandbox (" + new URL(sandboxBase).hostname + ") may be different sites: the " +
        "browser then withholds the sandbox's cookie from Link's frame and Link cannot keep " +
        "its place. Use one host name for both (the ports may differ).");
    }
  }

  function eventMetadata(event) {
    var metadata = {};
    EVENT_KEYS.forEach(function (key) { metadata[key] = null; });
    var recorded = event.event_metadata || {};
    Object.keys(recorded).forEach(function (key) { metadata[key] = recorded[key]; });
    metadata.timestamp = event.timestamp;
    return metadata;
  }

  function Handler(config) {
    this._config = config;
    this._overlay = null;
    this._frame = null;
    this._destroyed = false;
    this._exitRequested = false;
    this._exitTimer = null;
    this._silenceTimer = null;
    this._closer = null;
    this._spoke = false; // a message came before its page's load event
    this._toBank = false; // the last pane may send the frame to a bank's (silent) pages
    this._sessionId = null;
    this._seen = {};
    this._focusBefore = null;
    this._overflowBefore = "";
    this._onMessage = this._receive.bind(this);
    this._onKey = this._key.bind(this);
    this._onLoad = this._loaded.bind(this);
    if (config.onLoad) { window.setTimeout(config.onLoad, 0); }
  }

  /* Show Link over the page; every open() starts a new Link session, as Plaid's does. */
  Handler.prototype.open = function () {
    if (this._destroyed) {
      console.error("Plaid Link (sandbox): open() on a destroyed handler; call Plaid.create again.");
      return;
    }
    if (this._overlay) { return; }
    this._seen = {};
    this._exitRequested = false;
    this._spoke = false;
    this._toBank = false;
    this._sessionId = null;
    var overlay = document.createElement("div");
    overlay.setAttribute("data-plaid-link", "");
    overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;margin:0;padding:0;";
    var frame = document.createElement("iframe");
    frame.title = "Plaid Link";
    frame.style.cssText = "display:block;width:100%;height:100%;border:0;background:transparent;";
    frame.src = this._linkUrl() + "&origin=" + encodeURIComponent(window.location.origin);
    frame.addEventListener("load", this._onLoad);
    overlay.appendChild(frame);
    overlay.appendChild(this._closeButton());
    this._focusBefore = document.activeElement;
    this._overflowBefore = document.documentElement.style.overflow;
    document.documentElement.style.overflow = "hidden";
    window.addEventListener("message", this._onMessage);
    document.addEventListener("keydown", this._onKey);
    document.body.appendChild(overlay);
    frame.focus();
    this._overlay = overlay;
    this._frame = frame;
  };

  /* Leave Link: the frame exits the session, then onExit runs with its status. */
  Handler.prototype.exit = function (options) {
    if (!this._frame) { return; }
    // DIVERGES: Plaid may show a confirmation pane unless {force: true}; the sandbox exits.
    void options;
    this._exitRequested = true;
    this._askToExit();
    var handler = this;
    window.clearTimeout(this._exitTimer);
    this._exitTimer = window.setTimeout(function () {
      // No answer: the frame is at an OAuth bank's page, which has no exit. Back to Link's
      // pane (this browser's session of the token), which exits once it has loaded.
      if (handler._frame) { handler._frame.src = handler._linkUrl(); }
    }, EXIT_RETRY_MS);
  };

  /* Remove Link from the page for good, without callbacks. */
  Handler.prototype.destroy = function () {
    this._close();
    this._destroyed = true;
  };

  /* Layer's phone-number submit is not emulated by the sandbox. */
  Handler.prototype.submit = function () {
    console.warn("Plaid Link (sandbox): handler.submit() (Layer) is not emulated.");
  };

  Handler.prototype._linkUrl = function () {
    return sandboxBase + "/link?token=" + encodeURIComponent(this._config.token);
  };

  /* The overlay's own close button, shown over pages that have no exit (the bank's). */
  Handler.prototype._closeButton = function () {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "\u00d7";
    button.setAttribute("aria-label", "Exit Link");
    button.hidden = true;
    button.style.cssText = "position:absolute;top:12px;right:12px;width:44px;height:44px;" +
      "border:0;border-radius:50%;background:#fff;color:#111;font:28px/44px sans-serif;" +
      "box-shadow:0 1px 4px rgba(0,0,0,.4);cursor:pointer;";
    button.addEventListener("click", this.exit.bind(this));
    this._closer = button;
    return button;
  };

  /* A page loaded in the frame: Link's pages have spoken by now or will shortly. */
  Handler.prototype._loaded = function () {
    if (!this._frame) { return; }
    window.clearTimeout(this._silenceTimer);
    this._silenceTimer = null;
    if (this._spoke) {
      this._spoke = false;
    } else if (this._toBank && !this._exitRequested) {
      this._closer.hidden = false; // the bank's page: no message, and no exit of its own
    } else {
      this._silenceTimer = window.setTimeout(this._silent.bind(this), SILENCE_MS);
    }
  };

  /* Link's frame shows a page that never spoke: the browser refused to frame it, or it is
     not Link's. Nothing more will come from it, so Link exits here, with an error. */
  Handler.prototype._silent = function () {
    var config = this._config;
    var metadata = {
      status: null, institution: null, link_session_id: this._sessionId, request_id: null
    };
    this._close();
    console.error("Plaid Link (sandbox): " + FRAME_FAILED.error_message + ". Link exited.");
    if (config.onExit) { config.onExit(JSON.parse(JSON.stringify(FRAME_FAILED)), metadata); }
  };

  Handler.prototype._askToExit = function () {
    this._frame.contentWindow.postMessage({ action: "exit" }, sandboxOrigin);
  };

  Handler.prototype._key = function (event) {
    if (event.key === "Escape") { this.exit(); }
  };

  Handler.prototype._receive = function (event) {
    var data = event.data;
    if (!data || data.source !== SOURCE) { return; }
    if (!this._frame || event.source !== this._frame.contentWindow ||
        event.origin !== sandboxOrigin) {
      console.warn("Plaid Link (sandbox): ignored a Link message from " + event.origin +
        " that did not come from Link's frame (" + sandboxOrigin + ").");
      return;
    }
    if (this._silenceTimer !== null) { // this page's message, after its load event
      window.clearTimeout(this._silenceTimer);
      this._silenceTimer = null;
    } else {
      this._spoke = true;
    }
    this._toBank = data.to_bank === true;
    this._closer.hidden = true;
    this._sessionId = data.link_session_id || this._sessionId;
    var config = this._config;
    var fresh = (data.events || []).filter(function (e) { return !this._seen[e.event_id]; }, this);
    fresh.forEach(function (e) { this._seen[e.event_id] = true; }, this);
    if (config.onEvent) {
      fresh.forEach(function (e) { config.onEvent(e.event_name, eventMetadata(e)); });
    }
    if (data.type === "success") {
      this._close();
      config.onSuccess(data.public_token, data.metadata);
    } else if (data.type === "exit") {
      this._close();
      if (data.error && data.error.error_code === "INVALID_LINK_TOKEN") {
        console.error("Plaid Link (sandbox): INVALID_LINK_TOKEN: the sandbox does not know " +
          "this link token, or it has expired; create a new one with /link/token/create.");
      }
      if (config.onExit) { config.onExit(data.error, data.metadata); }
    } else if (this._exitRequested) {
      this._askToExit();
    }
  };

  Handler.prototype._close = function () {
    window.clearTimeout(this._exitTimer);
    window.clearTimeout(this._silenceTimer);
    this._silenceTimer = null;
    window.removeEventListener("message", this._onMessage);
    document.removeEventListener("keydown", this._onKey);
    if (this._overlay) {
      this._overlay.parentNode.removeChild(this._overlay);
      document.documentElement.style.overflow = this._overflowBefore;
      if (this._focusBefore && this._focusBefore.focus) { this._focusBefore.focus(); }
    }
    this._overlay = null;
    this._frame = null;
    this._closer = null;
  };

  window.Plaid = {
    version: "sandbox",
    create: function (config) {
      checkConfig(config);
      return new Handler(config);
    }
  };
})();
