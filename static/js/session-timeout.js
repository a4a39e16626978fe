/*
 * Idle-session warning.
 *
 * The server ends a session after SESSION_COOKIE_AGE seconds without a request (each request
 * renews it). This script shows a banner a little before that moment, with a "Stay signed in"
 * button that renews the session, and says so plainly once the session has ended, so that
 * nobody loses what they typed without warning.
 *
 * It is loaded by templates/accounts/session_timeout.html, with no inline script (the
 * Content-Security-Policy allows none): its settings and its words come from the data
 * attributes of its own <script> element:
 *
 *   data-timeout-seconds   how long an idle session lasts
 *   data-warn-seconds      how long before the end the banner appears
 *   data-keepalive-url     GET: 204 renews the session, 401 means it has ended
 *   data-sign-in-url       where "Sign in again" goes
 *   data-text-*            the banner's words, translated by the template; {time} is replaced
 *
 * When the session ends, or the person submits a sign-out form, the call drafts
 * (localStorage "hotline:draft:*", static/js/call-log.js) are removed.
 *
 * Every page load (in any tab) records its time in localStorage, so a tab left open does not
 * warn while the person works in another one. Other scripts that talk to the server can say
 * so with document.dispatchEvent(new Event("hotline:session-renewed")).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    return;
  }
  var data = script.dataset;
  var timeoutMs = parseInt(data.timeoutSeconds, 10) * 1000;
  var warnMs = parseInt(data.warnSeconds, 10) * 1000;
  if (!(timeoutMs > 0) || !(warnMs > 0)) {
    return;
  }

  var STORAGE_KEY = "hotline.session.renewedAt";
  // The request that brought this page renewed the session when navigation started.
  var renewedAt = Date.now() - (window.performance ? Math.round(performance.now()) : 0);
  var banner = null;
  var text = null;
  var button = null;
  var link = null;
  var announcer = null;
  var state = "quiet"; // quiet, warning, ended

  function storeRenewal(time) {
    try {
      window.localStorage.setItem(STORAGE_KEY, String(time));
    } catch (error) {
      // Storage may be disabled; each tab then counts on its own.
    }
  }

  function storedRenewal() {
    try {
      return parseInt(window.localStorage.getItem(STORAGE_KEY), 10) || 0;
    } catch (error) {
      return 0;
    }
  }

  function renewed(time) {
    renewedAt = Math.max(renewedAt, time);
    storeRenewal(renewedAt);
    if (state === "warning") {
      hide();
    }
  }

  function clock(ms) {
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function build() {
    banner = document.createElement("div");
    banner.className = "session-timeout";
    banner.hidden = true;
    text = document.createElement("p");
    button = document.createElement("button");
    button.type = "button";
    button.textContent = data.textStay;
    button.addEventListener("click", stayIn);
    link = document.createElement("a");
    link.href = data.signInUrl;
    link.textContent = data.textSignIn;
    link.hidden = true;
    // The countdown changes every second; screen readers hear each state once, from here.
    announcer = document.createElement("div");
    announcer.className = "session-timeout-announcer";
    announcer.setAttribute("role", "alert");
    banner.appendChild(text);
    banner.appendChild(button);
    banner.appendChild(link);
    document.body.appendChild(banner);
    document.body.appendChild(announcer);
  }

  function warningText(left) {
    return data.textWarning.replace("{time}", clock(left));
  }

  function showWarning(left) {
    if (!banner) {
      build();
    }
    text.textContent = warningText(left);
    if (state !== "warning") {
      state = "warning";
      banner.classList.remove("is-ended");
      button.hidden = false;
      link.hidden = true;
      banner.hidden = false;
      announcer.textContent = warningText(left);
    }
  }

  // Call drafts (static/js/call-log.js) hold victims' details: they go when the person signs
  // out or the session ends, so the next person at this computer does not find them. The event
  // tells an open call form to stop saving its draft again (static/js/call-log.js).
  function clearDrafts(reason) {
    try {
      var store = window.localStorage;
      var keys = [];
      for (var index = 0; index < store.length; index += 1) {
        var name = store.key(index);
        if (name && name.indexOf("hotline:draft:") === 0) {
          keys.push(name);
        }
      }
      keys.forEach(function (name) {
        store.removeItem(name);
      });
    } catch (error) {
      // Storage disabled: there are no drafts.
    }
    document.dispatchEvent(
      new CustomEvent("hotline:drafts-cleared", { detail: { reason: reason } })
    );
  }

  function showEnded() {
    clearDrafts("ended");
    if (!banner) {
      build();
    }
    state = "ended";
    banner.classList.add("is-ended");
    text.textContent = data.textEnded;
    button.hidden = true;
    link.hidden = false;
    banner.hidden = false;
    announcer.textContent = data.textEnded;
  }

  function hide() {
    state = "quiet";
    banner.hidden = true;
    announcer.textContent = "";
  }

  function stayIn() {
    button.disabled = true;
    window
      .fetch(data.keepaliveUrl, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { "X-Requested-With": "XMLHttpRequest" },
      })
      .then(function (response) {
        if (response.status === 204) {
          renewed(Date.now());
        } else {
          showEnded();
        }
      })
      .catch(function () {
        text.textContent = data.textFailed;
        announcer.textContent = data.textFailed;
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function tick() {
    if (state === "ended") {
      return;
    }
    var elsewhere = storedRenewal();
    if (elsewhere > renewedAt) {
      renewed(elsewhere);
    }
    var left = renewedAt + timeoutMs - Date.now();
    if (left <= 0) {
      showEnded();
    } else if (left <= warnMs) {
      showWarning(left);
    }
  }

  storeRenewal(renewedAt);
  // The sign-out forms (templates/nav.html, templates/accounts/base.html).
  document.addEventListener(
    "submit",
    function (event) {
      if (event.target.matches && event.target.matches(".sign-out-form, #logout-form")) {
        clearDrafts("signed-out");
      }
    },
    true
  );
  window.addEventListener("storage", function (event) {
    if (event.key === STORAGE_KEY) {
      tick();
    }
  });
  document.addEventListener("hotline:session-renewed", function () {
    renewed(Date.now());
  });
  window.setInterval(tick, 1000);
})();
