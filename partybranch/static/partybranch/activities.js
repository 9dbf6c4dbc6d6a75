// "Near me": ask the browser for a position once and reload the list sorted by distance.
// Words come from Django's JavaScript catalog (gettext), loaded by base.html.
(function () {
  var button = document.getElementById("near-me");
  if (!button) return;
  button.addEventListener("click", function () {
    var params = new URLSearchParams(location.search);
    if (button.getAttribute("aria-pressed") === "true") {
      params.delete("lng"); params.delete("lat");
      location.search = params.toString();
      return;
    }
    if (!navigator.geolocation) { alert(gettext("无法获取位置。")); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      params.set("lng", pos.coords.longitude.toFixed(6));
      params.set("lat", pos.coords.latitude.toFixed(6));
      location.search = params.toString();
    }, function () { alert(gettext("无法获取位置，请允许定位后重试。")); }, { timeout: 8000 });
  });
})();
