/*
 * Region type-ahead: a <select data-region-picker> of US states and countries (what works
 * without JavaScript) becomes a text box with suggestions (<datalist>). Typing filters the
 * select's own options; with data-regions-url, the server is asked too, so any region (a
 * Mexican state, a Canadian province) can be found by name or code. The select stays in the
 * form, hidden, and holds the chosen code.
 */
(function () {
  "use strict";

  function enhance(select) {
    var label = document.querySelector('label[for="' + select.id + '"]');
    var input = document.createElement("input");
    var list = document.createElement("datalist");
    var byLabel = {};
    input.type = "text";
    input.id = select.id + "_search";
    input.className = "region-search";
    input.setAttribute("list", select.id + "_options");
    input.setAttribute("autocomplete", "off");
    if (select.getAttribute("aria-describedby")) {
      input.setAttribute("aria-describedby", select.getAttribute("aria-describedby"));
    }
    if (select.getAttribute("aria-invalid")) {
      input.setAttribute("aria-invalid", select.getAttribute("aria-invalid"));
    }
    list.id = select.id + "_options";

    function remember(code, text) {
      if (!code || byLabel[text]) {
        return;
      }
      byLabel[text] = code;
      var option = document.createElement("option");
      option.value = text;
      list.appendChild(option);
    }

    Array.prototype.forEach.call(select.options, function (option) {
      remember(option.value, option.text);
    });

    function selectedText() {
      var option = select.options[select.selectedIndex];
      return option && option.value ? option.text : "";
    }

    function choose(text) {
      var code = byLabel[text];
      if (!text) {
        select.value = "";
      } else if (code) {
        if (!Array.prototype.some.call(select.options, function (o) { return o.value === code; })) {
          select.add(new Option(text, code));
        }
        select.value = code;
      } else {
        return false;
      }
      select.dispatchEvent(new Event("change", { bubbles: true }));
      return true;
    }

    var url = select.dataset.regionsUrl;
    var timer = null;
    input.addEventListener("input", function () {
      if (choose(input.value.trim())) {
        return;
      }
      if (!url || input.value.trim().length < 2) {
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch(url + "?q=" + encodeURIComponent(input.value.trim()), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            data.results.forEach(function (region) { remember(region.code, region.label); });
          })
          .catch(function () { /* the select's own options still work */ });
      }, 250);
    });
    input.addEventListener("change", function () {
      if (!choose(input.value.trim())) {
        input.setAttribute("aria-invalid", "true");
      } else {
        input.removeAttribute("aria-invalid");
      }
    });
    // A draft restored into the select (static/js/call-log.js) shows in the text box.
    select.addEventListener("region-restored", function () {
      input.value = selectedText();
      remember(select.value, input.value);
    });

    input.value = selectedText();
    if (label) {
      label.setAttribute("for", input.id);
    }
    select.hidden = true;
    select.tabIndex = -1;
    select.parentNode.insertBefore(input, select);
    select.parentNode.insertBefore(list, select);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-region-picker]"), enhance);
  });
})();
