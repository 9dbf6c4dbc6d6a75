/* 随手拍 submit page: category buttons, browser location (or a map pick), photos shrunk to 2048 px in the
   browser, "me too" before submitting, then POST to the API with the session's CSRF token.
   Each report attempt carries one Idempotency-Key: when the network drops the request or its answer, the
   page retries with the same key and the server returns the report it already saved, never a second one. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var maxPhotos = parseInt(form.dataset.maxPhotos, 10) || 3;
  var state = { category: null, lng: null, lat: null, crs: "wgs84", photos: [], checkedNearby: false, key: null };
  var map = null, marker = null;
  var RETRY_DELAYS_MS = [1000, 2000, 4000, 8000];  // then the rider taps again (still the same key)
  var RETRY_STATUSES = { 502: true, 503: true, 504: true };

  function error(text) { $("form-error").textContent = text || ""; }

  // One key per report attempt. WeChat's older WebView has no crypto.randomUUID.
  function newKey() {
    var c = window.crypto || window.msCrypto;
    if (c && typeof c.randomUUID === "function") { return c.randomUUID(); }
    var bytes = new Uint8Array(16), hex = "";
    if (c && c.getRandomValues) { c.getRandomValues(bytes); }
    else { for (var i = 0; i < 16; i++) { bytes[i] = Math.floor(Math.random() * 256); } }
    for (var j = 0; j < 16; j++) { hex += (bytes[j] + 0x100).toString(16).slice(1); }
    return hex + "-" + Date.now().toString(36);
  }
  // What the rider changes is a new report: it gets a new key on the next submit.
  function formChanged() { state.key = null; }
  function retrying(on) { $("submit-retrying").hidden = !on; }

  form.querySelectorAll("button.cat").forEach(function (btn) {
    btn.addEventListener("click", function () {
      form.querySelectorAll("button.cat").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
      btn.setAttribute("aria-pressed", "true");
      state.category = btn.dataset.code;
      state.checkedNearby = false;
      formChanged();
      error("");
    });
  });

  // WGS-84 → GCJ-02 (same formula as chaoyang_friendly/geo.py): a GPS fix is drawn shifted on GCJ-02
  // tiles, but submitted unchanged as WGS-84.
  function toGcj02(lng, lat) {
    var a = 6378245.0, ee = 0.00669342162296594323, x = lng - 105.0, y = lat - 35.0, PI = Math.PI;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dLat += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dLng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dLng += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLng += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dLng += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * PI, magic = 1 - ee * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sq) * PI);
    dLng = (dLng * 180.0) / (a / sq * Math.cos(rad) * PI);
    return [lng + dLng, lat + dLat];
  }

  function setPoint(lng, lat, crs, label) {
    state.lng = lng; state.lat = lat; state.crs = crs; state.checkedNearby = false;
    formChanged();
    $("loc-status").textContent = label + " " + lat.toFixed(5) + ", " + lng.toFixed(5);
    if (map) {
      var shown = (crs === "wgs84" && form.dataset.tilesCrs === "gcj02") ? toGcj02(lng, lat) : [lng, lat];
      if (!marker) { marker = L.marker([shown[1], shown[0]]).addTo(map); } else { marker.setLatLng([shown[1], shown[0]]); }
      map.setView([shown[1], shown[0]], 16);
    }
  }

  if (window.L && $("map")) {
    map = L.map("map").setView([39.95, 116.48], 12);
    if (form.dataset.tiles) { L.tileLayer(form.dataset.tiles, { maxZoom: 19 }).addTo(map); }
    // A pick on the map is in the tiles' coordinate system (GCJ-02 for Amap/Tencent tiles).
    map.on("click", function (e) { setPoint(e.latlng.lng, e.latlng.lat, form.dataset.tilesCrs || "wgs84", "已选择位置"); });
  }
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(
      function (pos) { setPoint(pos.coords.longitude, pos.coords.latitude, "wgs84", "已定位"); },
      function () { $("loc-status").textContent = "无法定位，请在地图上点选位置。"; },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  }

  function shrink(file) {
    // Decode and redraw at most 2048 px on the long side: small uploads on a weak network, and the
    // canvas drops the EXIF (the server strips it again anyway).
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, 2048 / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };  // e.g. HEIC: let the server decide
      img.src = url;
    });
  }

  $("photo").addEventListener("change", function (e) {
    var files = Array.prototype.slice.call(e.target.files || []);
    formChanged();
    files.slice(0, maxPhotos - state.photos.length).forEach(function (file) {
      shrink(file).then(function (blob) {
        state.photos.push(blob);
        var img = document.createElement("img");
        img.src = URL.createObjectURL(blob);
        img.alt = "照片";
        $("previews").appendChild(img);
      });
    });
    if (state.photos.length + files.length > maxPhotos) { error("最多 " + maxPhotos + " 张照片。"); }
    e.target.value = "";
  });

  function query(params) {
    return Object.keys(params).map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  function showNearby(items) {
    var list = $("nearby-list");
    list.innerHTML = "";
    items.forEach(function (r) {
      var li = document.createElement("li");
      var text = document.createElement("div");
      text.style.padding = "10px 14px";
      text.textContent = "#" + r.id + " · " + r.status_label + " · 约 " + r.distance_m + " 米 · " + (r.description || "");
      var btn = document.createElement("button");
      btn.type = "button"; btn.className = "btn"; btn.textContent = "就是这个，我也遇到了（附议）";
      btn.addEventListener("click", function () {
        fetch("/api/v1/reports/" + r.id + "/support/", { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
          .then(function (res) { return res.json().then(function (b) { return [res, b]; }); })
          .then(function (rb) {
            if (rb[0].ok) { $("nearby").innerHTML = "<p class='msg success'>已附议，谢谢！应急队会一并处理。</p>"; }
            else { error(rb[1].detail || "附议失败"); }
          });
      });
      li.appendChild(text); li.appendChild(btn);
      list.appendChild(li);
    });
    $("nearby").hidden = false;
    $("nearby").scrollIntoView();
  }

  function send() {
    var data = new FormData();
    data.append("category", state.category);
    data.append("lng", String(state.lng));
    data.append("lat", String(state.lat));
    data.append("crs", state.crs);
    data.append("description", $("description").value);
    state.photos.forEach(function (blob, i) { data.append("photos", blob, "photo" + i + ".jpg"); });
    if (!state.key) { state.key = newKey(); }
    var key = state.key;
    $("submit").disabled = true;

    function done(text) { retrying(false); $("submit").disabled = false; error(text); }
    function attempt(n) {
      var headers = { "X-CSRFToken": csrf, "Idempotency-Key": key };
      fetch(form.dataset.api, { method: "POST", body: data, headers: headers, credentials: "same-origin" })
        .then(function (res) {
          if (RETRY_STATUSES[res.status]) { return null; }  // the proxy lost the server: try again
          return res.json().then(function (b) { return [res, b]; }, function () { return [res, {}]; });
        }, function () { return null; })  // the request or its answer was lost on the way
        .then(function (rb) {
          if (rb === null) {
            if (n >= RETRY_DELAYS_MS.length) { done(form.dataset.msgOffline); return; }
            retrying(true);
            window.setTimeout(function () { attempt(n + 1); }, RETRY_DELAYS_MS[n] + Math.random() * 500);
            return;
          }
          if (rb[0].status === 201 || rb[0].status === 200) {  // 200: a retry, the report saved before
            state.key = null;
            window.location.href = "/reports/" + rb[1].id + "/";
            return;
          }
          done(rb[1].detail || Object.values(rb[1]).join(" ") || form.dataset.msgFailed);
        });
    }
    attempt(0);
  }

  $("description").addEventListener("input", formChanged);

  $("submit-anyway").addEventListener("click", function () { $("nearby").hidden = true; send(); });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    error("");
    if (!state.category) { error("请选择问题类别。"); return; }
    if (state.lng === null) { error("还没有位置，请在地图上点选。"); return; }
    if (state.checkedNearby) { send(); return; }
    state.checkedNearby = true;
    fetch(form.dataset.nearby + "?" + query({ category: state.category, lng: state.lng, lat: state.lat, crs: state.crs }), { credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.json() : []; })
      .then(function (items) { if (items.length) { showNearby(items); } else { send(); } })
      .catch(function () { send(); });
  });
})();
