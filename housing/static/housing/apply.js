// The apply form: show the first error where the rider is looking, and optionally take the phone's
// position (WGS-84 from the browser) as the work location. Words come from Django's JavaScript catalog.
(function () {
  var form = document.getElementById("apply-form");
  var firstError = form && form.querySelector(".has-error");
  if (firstError) {
    firstError.scrollIntoView({ block: "start" });
    var input = firstError.querySelector("input:not([type=hidden]), select, textarea");
    if (input) input.focus({ preventScroll: true });
  }

  var button = document.getElementById("locate");
  var status = document.getElementById("locate-status");
  if (!button || !navigator.geolocation) { if (button) button.hidden = true; return; }
  button.addEventListener("click", function () {
    status.textContent = gettext("正在定位…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_work_lng").value = pos.coords.longitude.toFixed(6);
      document.getElementById("id_work_lat").value = pos.coords.latitude.toFixed(6);
      status.textContent = gettext("已记录工作地点。");
    }, function () { status.textContent = gettext("无法获取位置，可以跳过这一步。"); }, { timeout: 8000 });
  });
})();
