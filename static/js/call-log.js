/*
 * Log a call (/calls/new/, templates/cases/intake/call_form.html).
 *
 * - The timer shows how long the page has been open (from the call's started_at, which the
 *   server set when it rendered the form, corrected for this computer's clock).
 * - The draft: everything typed is kept in localStorage under the form's data-draft-key (one
 *   per user), at every keystroke. When the page is opened again (a reload, a crash, a lost
 *   connection) the draft is put back, with a notice and a "Discard draft" button. The draft
 *   includes the hidden intake key and start time, so saving a restored draft records the
 *   same call once, however many times it is sent. The confirmation page removes the draft; a
 *   draft older than 12 hours is removed, not restored; signing out or the session ending
 *   removes every draft (static/js/session-timeout.js).
 * - "This is a tip" shows the tip's fields; "Add another identifier" adds a row.
 * - The save button is disabled while the form is being sent (the intake key makes a second
 *   send harmless anyway).
 *
 * No inline code (Content-Security-Policy): texts come from data- attributes.
 */
(function () {
  "use strict";

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // private mode, storage disabled: the form still works, without drafts
    }
  }

  // A draft holds victims' details: one left behind on a shared computer must not outlive a
  // shift. Older ones (or ones with no readable savedAt) are removed, not restored.
  var DRAFT_MAX_AGE_MS = 12 * 60 * 60 * 1000;
  var DRAFT_PREFIX = "hotline:draft:";

  function expired(draft) {
    var savedAt = draft && Date.parse(draft.savedAt);
    return !(savedAt > Date.now() - DRAFT_MAX_AGE_MS);
  }

  function readDraft(key) {
    var store = storage();
    if (!store) {
      return null;
    }
    var draft = null;
    try {
      draft = JSON.parse(store.getItem(key) || "null");
    } catch (error) {
      draft = undefined; // unreadable: removed below
    }
    if (draft !== null && expired(draft)) {
      store.removeItem(key);
      return null;
    }
    return draft;
  }

  // Every page of the app that loads this script also sweeps other users' and old keys.
  function dropExpiredDrafts() {
    var store = storage();
    if (!store) {
      return;
    }
    var keys = [];
    for (var index = 0; index < store.length; index += 1) {
      var name = store.key(index);
      if (name && name.indexOf(DRAFT_PREFIX) === 0) {
        keys.push(name);
      }
    }
    keys.forEach(readDraft);
  }

  // The confirmation page: the call is saved, its draft is no longer needed.
  function clearSavedDraft() {
    var saved = document.getElementById("call-saved");
    var store = storage();
    if (!saved || !store) {
      return;
    }
    var draft = readDraft(saved.dataset.clearDraft);
    if (draft && draft.values && draft.values.intake_key === saved.dataset.intakeKey) {
      store.removeItem(saved.dataset.clearDraft);
    }
  }

  function setUp(form) {
    var data = form.dataset;
    var key = data.draftKey;
    var rows = document.getElementById("identifier-rows");
    var template = document.getElementById("identifier-row-template");
    var total = form.querySelector('input[name="identifiers-TOTAL_FORMS"]');
    var maxRows = parseInt(
      (form.querySelector('input[name="identifiers-MAX_NUM_FORMS"]') || {}).value || "20",
      10
    );
    var addButton = document.getElementById("identifier-add");
    var isTip = form.querySelector('input[name="is_tip"]');
    var tipFields = document.getElementById("tip-fields");
    var startedAt = form.querySelector('input[name="started_at"]');
    var timer = document.getElementById("call-timer");
    var notice = document.getElementById("draft-notice");
    var region = form.querySelector('select[name="region"]');

    // --- Identifier rows ---------------------------------------------------------------------
    function rowCount() {
      return parseInt(total.value, 10) || 0;
    }

    function addRow() {
      var index = rowCount();
      if (index >= maxRows) {
        return null;
      }
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      if (rowCount() >= maxRows) {
        addButton.hidden = true;
      }
      return row;
    }

    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var row = addRow();
      if (row) {
        var first = row.querySelector("select, input");
        if (first) {
          first.focus();
        }
        touched = true;
        saveDraft();
      }
    });

    // --- The tip's fields --------------------------------------------------------------------
    function showTip() {
      tipFields.hidden = !isTip.checked;
    }
    isTip.addEventListener("change", showTip);

    // --- The timer ---------------------------------------------------------------------------
    var skew = Date.now() - Date.parse(data.serverNow);

    function two(number) {
      return (number < 10 ? "0" : "") + number;
    }

    function tick() {
      var started = Date.parse(startedAt.value);
      if (isNaN(started) || isNaN(skew)) {
        return;
      }
      var seconds = Math.max(0, Math.floor((Date.now() - skew - started) / 1000));
      var hours = Math.floor(seconds / 3600);
      var text = two(Math.floor((seconds % 3600) / 60)) + ":" + two(seconds % 60);
      timer.textContent = hours ? hours + ":" + text : text;
    }
    setInterval(tick, 1000);

    // --- The draft ---------------------------------------------------------------------------
    function collect() {
      var values = {};
      Array.prototype.forEach.call(form.elements, function (element) {
        var name = element.name;
        if (!name || name === "csrfmiddlewaretoken" || element.type === "submit") {
          return;
        }
        if (element.type === "checkbox" || element.type === "radio") {
          values[name] = values[name] || [];
          if (element.checked) {
            values[name].push(element.value);
          }
        } else {
          values[name] = element.value;
        }
      });
      return values;
    }

    var discarded = false;
    var paused = false;
    // Only a form someone has typed in (or a restored draft) is worth keeping: an untouched form
    // left behind must not come back as a "draft".
    var touched = false;

    function saveDraft() {
      var store = storage();
      if (!store || discarded || !touched || paused) {
        return;
      }
      var option = region && region.options[region.selectedIndex];
      var draft = {
        savedAt: new Date().toISOString(),
        values: collect(),
        regionLabel: option && option.value ? option.text : "",
      };
      try {
        store.setItem(key, JSON.stringify(draft));
      } catch (error) {
        /* storage full: keep working without a draft */
      }
    }

    function restore(draft) {
      var values = draft.values || {};
      var wanted = parseInt(values["identifiers-TOTAL_FORMS"] || "0", 10);
      while (rowCount() < Math.min(wanted, maxRows) && addRow()) {
        /* add the rows the draft had */
      }
      Array.prototype.forEach.call(form.elements, function (element) {
        var name = element.name;
        if (!name || !(name in values) || name === "csrfmiddlewaretoken") {
          return;
        }
        if (/-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/.test(name)) {
          return;
        }
        var value = values[name];
        if (element.type === "checkbox" || element.type === "radio") {
          element.checked = Array.isArray(value) && value.indexOf(element.value) !== -1;
        } else if (element.tagName === "SELECT" && value) {
          var known = Array.prototype.some.call(element.options, function (option) {
            return option.value === value;
          });
          if (!known && element === region) {
            element.add(new Option(draft.regionLabel || value, value));
          }
          element.value = value;
        } else {
          element.value = value;
        }
      });
      if (region) {
        region.dispatchEvent(new Event("region-restored"));
      }
    }

    function showNotice(text) {
      notice.textContent = "";
      var message = document.createElement("span");
      message.textContent = text + " ";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button button-secondary button-small";
      discard.id = "draft-discard";
      discard.textContent = data.textDiscard;
      discard.addEventListener("click", function () {
        // Leaving the page saves the draft (pagehide); not this one.
        discarded = true;
        var store = storage();
        if (store) {
          store.removeItem(key);
        }
        // A fresh form: a new intake key and a new start time.
        window.location.assign(form.getAttribute("action"));
      });
      notice.appendChild(message);
      notice.appendChild(discard);
      notice.hidden = false;
    }

    var draft = readDraft(key);
    // A page the server sent back with errors shows what was sent; the draft is for a fresh page.
    if (data.bound !== "1" && draft && draft.values) {
      touched = true;
      restore(draft);
      showNotice(data.textRestored);
      document.body.dispatchEvent(new Event("identifiers-changed"));
    } else if (data.bound === "1") {
      touched = true;
      saveDraft();
    }
    showTip();
    tick();

    // A look-up of matching cases renews the session like any request: tell the idle warning
    // (static/js/session-timeout.js).
    document.body.addEventListener("htmx:afterRequest", function () {
      document.dispatchEvent(new Event("hotline:session-renewed"));
    });

    function typed() {
      touched = true;
      saveDraft();
    }
    form.addEventListener("input", typed);
    form.addEventListener("change", typed);
    window.addEventListener("pagehide", saveDraft);
    // Signed out (static/js/session-timeout.js): the draft is gone and stays so. Session ended:
    // nothing is kept while the form sits unattended, but an advocate who then presses Save
    // (which leads through the sign-in page back to the form) keeps what they typed.
    document.addEventListener("hotline:drafts-cleared", function (event) {
      if (event.detail && event.detail.reason === "ended") {
        paused = true;
      } else {
        discarded = true;
      }
    });

    var sending = false;
    form.addEventListener("submit", function (event) {
      if (sending) {
        event.preventDefault();
        return;
      }
      paused = false;
      saveDraft();
      sending = true;
      var button = document.getElementById("call-save");
      var label = button.textContent;
      button.setAttribute("aria-disabled", "true");
      button.textContent = data.textSaving;
      // If the answer never comes (the connection dropped), let the advocate try again.
      setTimeout(function () {
        sending = false;
        button.removeAttribute("aria-disabled");
        button.textContent = label;
      }, 8000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    dropExpiredDrafts();
    clearSavedDraft();
    var form = document.getElementById("call-form");
    if (form) {
      setUp(form);
    }
  });
})();
