/* A rider who scanned a station's QR code and then logged in comes back to a page whose check-in form
   carries the one-time intent the server kept in their session: send it now, so that they need not tap
   the check-in button a second time. Still a POST with the CSRF token; without JavaScript the button does it. */
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form || form.dataset.autoSubmit !== "1") { return; }
  var button = document.getElementById("checkin-button");
  if (button) { button.disabled = true; }
  // A page restored from the back/forward cache is a plain check-in page again: the intent is spent.
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) { return; }
    var intent = form.querySelector("input[name=intent]");
    var note = document.getElementById("checkin-pending");
    if (intent) { intent.remove(); }
    if (note) { note.remove(); }
    if (button) { button.disabled = false; }
  });
  form.submit();
})();
