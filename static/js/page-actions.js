// Small page behaviours declared in the markup, so that templates need no inline handlers under the
// Content-Security-Policy: <form data-confirm="…">, <select data-autosubmit>, <button data-print>.
(function () {
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
})();
