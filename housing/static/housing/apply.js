// Optional: take the phone's position (WGS-84 from the browser) as the work location.
(function () {
  var button = document.getElementById("locate");
  var status = document.getElementById("locate-status");
  if (!button || !navigator.geolocation) { if (button) button.hidden = true; return; }
  button.addEventListener("click", function () {
    status.textContent = "定位中…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_work_lng").value = pos.coords.longitude.toFixed(6);
      document.getElementById("id_work_lat").value = pos.coords.latitude.toFixed(6);
      status.textContent = "已记录工作地点。";
    }, function () { status.textContent = "无法获取位置，可跳过。"; }, { timeout: 8000 });
  });
})();
