// Case work pages (templates/cases/casework/): small enhancements; every form works without.
(function () {
  "use strict";

  // The queue: "select all on this page" for the bulk actions.
  function bindSelectAll(root) {
    var all = root.querySelector("[data-casework-select-all]");
    if (!all || all.dataset.bound) return;
    all.dataset.bound = "1";
    var rows = function () { return root.querySelectorAll("[data-casework-row]"); };
    all.addEventListener("change", function () {
      rows().forEach(function (box) { box.checked = all.checked; });
    });
    root.addEventListener("change", function (event) {
      if (!event.target.matches("[data-casework-row]")) return;
      var boxes = Array.prototype.slice.call(rows());
      all.checked = boxes.length > 0 && boxes.every(function (box) { return box.checked; });
    });
  }

  // After htmx swaps in a section (a note added), put the focus back on its first field so
  // keyboard users carry on where they were.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "notes") {
      var field = document.querySelector("#notes textarea");
      if (field) field.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { bindSelectAll(document); });
})();
