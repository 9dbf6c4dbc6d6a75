// Small page behaviours declared in the markup, so that templates need no inline handlers under the
// Content-Security-Policy: <form data-confirm="…">, <select data-autosubmit>, <button data-print>.
// Loaded by base.html on every page (some templates load it again: it runs once).
// A page that comes back with a form error shows it where the person is looking: the first error is
// scrolled to the middle of the screen (clear of the fixed bars) and its field gets the focus.
// The words are the templates' (data-confirm="{% translate … %}"); any word this file ever shows itself goes
// through Django's JavaScript catalog, gettext("…") by that name (tests/core/test_home_hub.py).
(function () {
  if (window.pageActionsLoaded) return;
  window.pageActionsLoaded = true;

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-autosubmit")) event.target.form.submit();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  function showFirstError() {
    var field = document.querySelector("main [aria-invalid=true]");
    var error = document.querySelector("main .errorlist, main .error[role=alert], main [role=alert].error");
    var target = field || error;
    if (!target) return;
    var box = target.getBoundingClientRect();
    if (box.top < 60 || box.bottom > window.innerHeight - 90) target.scrollIntoView({ block: "center" });
    if (!field && error) {
      var row = error.closest("div, p, fieldset");
      field = row && row.querySelector("input:not([type=hidden]), select, textarea");
    }
    if (field && document.activeElement === document.body) field.focus({ preventScroll: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showFirstError);
  else showFirstError();
})();
