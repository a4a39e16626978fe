/*
 * Forms: when a page comes back with errors, the list of errors at its top takes the focus, so
 * a keyboard or screen-reader user starts from what went wrong (each error links to its
 * field). No inline code: loaded with <script src> (Content-Security-Policy).
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  });
})();
