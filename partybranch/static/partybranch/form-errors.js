// A form that comes back with errors: bring the first one into view (the form may be far down the page)
// and put the cursor in the field it is about.
(function () {
  var error = document.querySelector("form .errorlist");
  if (!error) return;
  error.scrollIntoView({ block: "center" });
  var field = error.parentElement && error.parentElement.querySelector("input:not([type=hidden]), select, textarea");
  if (field) field.focus({ preventScroll: true });
})();
