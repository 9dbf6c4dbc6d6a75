/* 随手拍 submit page: category buttons, browser location (or a map pick), photos shrunk in the browser
   (1280 px on the long side, JPEG quality 0.7; the original is sent when the canvas cannot do it), "me too"
   before submitting, then POST to the API with the session's CSRF token and a visible upload progress.
   Each report attempt carries one Idempotency-Key: when the network drops the request or its answer, the
   page retries with the same key and the server returns the report it already saved, never a second one.
   An error is written next to its field (or in the bottom bar for the whole form), scrolled into view and
   focused: the rider sees it where they are looking. Every string goes through Django's JavaScript catalog. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var maxPhotos = parseInt(form.dataset.maxPhotos, 10) || 3;
  var state = { category: null, lng: null, lat: null, crs: "wgs84", photos: [], shrinking: [], checkedNearby: false, key: null };
  var map = null, marker = null;
  var LONG_SIDE = 1280, QUALITY = 0.7;
  var RETRY_DELAYS_MS = [1000, 2000, 4000, 8000];  // then the rider taps again (still the same key)
  var RETRY_STATUSES = { 0: true, 502: true, 503: true, 504: true };
  var UPLOAD_TIMEOUT_MS = 120000;  // a stalled upload is retried (same key) rather than waited for forever
  var FIELD_ERRORS = ["category", "photo", "location", "nearby"];

  // --- Errors where the rider looks ------------------------------------------------------------------
  function clearErrors() {
    FIELD_ERRORS.concat(["form"]).forEach(function (name) {
      var el = $(name + "-error");
      el.textContent = "";
      el.hidden = true;
    });
  }
  function clearError(name) { var el = $(name + "-error"); el.textContent = ""; el.hidden = true; }
  // `field`: category, photo, location or nearby (next to it), or form (in the bottom bar, always in view).
  function showError(field, text, focusEl) {
    var el = $(field + "-error");
    el.textContent = text;
    el.hidden = false;
    if (field !== "form") { el.scrollIntoView({ block: "center", behavior: "auto" }); }
    (focusEl || el).focus({ preventScroll: true });
  }

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
  function progress(percent) {
    var box = $("submit-progress");
    if (percent === null) { box.hidden = true; return; }
    $("submit-progress-bar").value = percent;
    $("submit-progress-text").textContent = percent >= 100
      ? gettext("已上传，正在保存…")
      : interpolate(gettext("正在上传 %(percent)s%"), { percent: percent }, true);
    box.hidden = false;
  }

  form.querySelectorAll("button.cat").forEach(function (btn) {
    btn.addEventListener("click", function () {
      form.querySelectorAll("button.cat").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
      btn.setAttribute("aria-pressed", "true");
      state.category = btn.dataset.code;
      state.checkedNearby = false;
      formChanged();
      clearError("category");
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
    clearError("location");
    $("loc-status").textContent = interpolate(label, { lat: lat.toFixed(5), lng: lng.toFixed(5) }, true);
    if (map) {
      var shown = (crs === "wgs84" && form.dataset.tilesCrs === "gcj02") ? toGcj02(lng, lat) : [lng, lat];
      if (!marker) { marker = L.marker([shown[1], shown[0]]).addTo(map); } else { marker.setLatLng([shown[1], shown[0]]); }
      map.setView([shown[1], shown[0]], 16);
    }
  }

  if (window.L && $("map")) {
    map = L.map("map").setView([39.95, 116.48], 12);
    if (form.dataset.tiles) {
      L.tileLayer(form.dataset.tiles, { attribution: form.dataset.attribution, maxZoom: 19 }).addTo(map);
    }
    // A pick on the map is in the tiles' coordinate system (GCJ-02 for Amap/Tencent tiles).
    map.on("click", function (e) {
      setPoint(e.latlng.lng, e.latlng.lat, form.dataset.tilesCrs || "wgs84", gettext("已选择位置：%(lat)s, %(lng)s"));
    });
  }
  function noFix() { $("loc-status").textContent = gettext("无法定位，请在地图上点选位置。"); }
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(
      function (pos) { setPoint(pos.coords.longitude, pos.coords.latitude, "wgs84", gettext("已定位：%(lat)s, %(lng)s")); },
      noFix,
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  } else { noFix(); }

  // --- Photos: shrunk before upload --------------------------------------------------------------------
  function toBlob(canvas) {
    return new Promise(function (resolve) {
      if (canvas.toBlob) { canvas.toBlob(function (blob) { resolve(blob); }, "image/jpeg", QUALITY); return; }
      // Old WebViews without toBlob: go through a data URL.
      var bin = atob(canvas.toDataURL("image/jpeg", QUALITY).split(",")[1]), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
      resolve(new Blob([bytes], { type: "image/jpeg" }));
    });
  }
  function shrink(file) {
    // Redraw at most LONG_SIDE px on the long side: a small upload on a weak network, and the canvas drops
    // the EXIF (the server strips it again anyway). Whatever fails (HEIC the browser cannot decode, a canvas
    // too large for the phone's memory, no toBlob) sends the original, which the server shrinks itself.
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        URL.revokeObjectURL(url);
        try {
          var scale = Math.min(1, LONG_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
          var canvas = document.createElement("canvas");
          canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
          canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
          var ctx = canvas.getContext("2d");
          if (!ctx) { resolve(file); return; }
          ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
          toBlob(canvas).then(function (blob) {
            // Keep the original when the canvas gave nothing, or when it was already small and lighter.
            resolve(!blob || !blob.size || (scale === 1 && blob.size >= file.size) ? file : blob);
          }, function () { resolve(file); });
        } catch (err) { resolve(file); }
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  }

  $("photo").addEventListener("change", function (e) {
    var files = Array.prototype.slice.call(e.target.files || []);
    var room = maxPhotos - state.photos.length - state.shrinking.length;
    formChanged();
    clearError("photo");
    files.slice(0, Math.max(0, room)).forEach(function (file) {
      var job = shrink(file).then(function (blob) {
        state.photos.push(blob);
        state.shrinking.splice(state.shrinking.indexOf(job), 1);
        var img = document.createElement("img");
        img.src = URL.createObjectURL(blob);
        img.alt = gettext("照片");
        $("previews").appendChild(img);
      });
      state.shrinking.push(job);
    });
    if (files.length > room) {
      showError("photo", interpolate(gettext("最多 %(n)s 张照片。"), { n: maxPhotos }, true));
    }
    e.target.value = "";
  });

  function query(params) {
    return Object.keys(params).map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  // "12 分钟前": how long ago a candidate was reported.
  function ago(iso) {
    var minutes = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60000));
    if (minutes < 1) { return gettext("刚刚"); }
    if (minutes < 60) { return interpolate(ngettext("%(n)s 分钟前", "%(n)s 分钟前", minutes), { n: minutes }, true); }
    var hours = Math.floor(minutes / 60);
    if (hours < 24) { return interpolate(ngettext("%(n)s 小时前", "%(n)s 小时前", hours), { n: hours }, true); }
    var days = Math.floor(hours / 24);
    return interpolate(ngettext("%(n)s 天前", "%(n)s 天前", days), { n: days }, true);
  }

  function supported() {
    var box = $("nearby");
    box.innerHTML = "";
    var msg = document.createElement("p");
    msg.className = "msg success";
    msg.setAttribute("role", "status");
    msg.tabIndex = -1;
    msg.textContent = gettext("已附议，谢谢！应急队会一并处理。");
    var home = document.createElement("a");
    home.className = "btn secondary";
    home.href = "/";
    home.textContent = gettext("返回首页");
    box.appendChild(msg); box.appendChild(home);
    $("submit").hidden = true;
    box.scrollIntoView({ block: "center" });
    msg.focus({ preventScroll: true });
  }

  function candidate(r) {
    var li = document.createElement("li");
    li.className = "candidate";
    li.dataset.id = r.id;
    var row = document.createElement("div");
    row.className = "candidate-row";
    if (r.thumbnail_url) {
      var img = document.createElement("img");
      img.src = r.thumbnail_url;
      img.alt = gettext("上报照片");
      img.className = "candidate-thumb";
      row.appendChild(img);
    }
    var text = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = r.category;
    var meta = document.createElement("div");
    meta.className = "muted candidate-meta";
    var parts = [ago(r.created_at), interpolate(gettext("约 %(m)s 米"), { m: r.distance_m }, true), r.status_label];
    if (r.supporter_count) {
      parts.push(interpolate(ngettext("%(n)s 人附议", "%(n)s 人附议", r.supporter_count), { n: r.supporter_count }, true));
    }
    meta.textContent = parts.join(" · ");
    text.appendChild(title); text.appendChild(meta);
    if (r.description) { var d = document.createElement("div"); d.textContent = r.description; text.appendChild(d); }
    row.appendChild(text);
    var btn = document.createElement("button");
    btn.type = "button"; btn.className = "btn me-too"; btn.textContent = gettext("就是这个，我也遇到了（附议）");
    btn.addEventListener("click", function () {
      clearError("nearby");
      btn.disabled = true;
      fetch("/api/v1/reports/" + r.id + "/support/", { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
        .then(function (res) { return res.json().then(function (b) { return [res, b]; }, function () { return [res, {}]; }); })
        .then(function (rb) {
          btn.disabled = false;
          if (rb[0].ok) { supported(); } else { showError("nearby", rb[1].detail || gettext("附议失败，请重试。"), btn); }
        }, function () {
          btn.disabled = false;
          showError("nearby", gettext("网络不稳定，附议没有成功，请重试。"), btn);
        });
    });
    li.appendChild(row); li.appendChild(btn);
    return li;
  }

  function showNearby(items) {
    var list = $("nearby-list");
    list.innerHTML = "";
    items.forEach(function (r) { list.appendChild(candidate(r)); });
    $("nearby").hidden = false;
    $("nearby").scrollIntoView({ block: "start" });
  }

  // --- Sending ------------------------------------------------------------------------------------------
  // One POST with upload progress; resolves [status, body], or null when the request or its answer was lost.
  function post(data, key) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.api);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Idempotency-Key", key);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.withCredentials = true;
      xhr.timeout = UPLOAD_TIMEOUT_MS;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && e.total) { progress(Math.min(100, Math.floor((e.loaded / e.total) * 100))); }
      });
      xhr.upload.addEventListener("load", function () { progress(100); });
      xhr.onload = function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText || "{}"); } catch (err) { body = {}; }
        resolve([xhr.status, body]);
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { resolve(null); };
      progress(0);
      xhr.send(data);
    });
  }

  function busy(on) {
    $("submit").disabled = on;
    $("submit").textContent = on ? gettext("正在提交…") : gettext("提交");
  }

  function send() {
    busy(true);
    Promise.all(state.shrinking.slice()).then(function () {
      var data = new FormData();
      data.append("category", state.category);
      data.append("lng", String(state.lng));
      data.append("lat", String(state.lat));
      data.append("crs", state.crs);
      data.append("description", $("description").value);
      state.photos.forEach(function (blob, i) { data.append("photos", blob, "photo" + i + ".jpg"); });
      if (!state.key) { state.key = newKey(); }
      var key = state.key;

      function done(text) { retrying(false); progress(null); busy(false); showError("form", text); }
      function attempt(n) {
        post(data, key).then(function (rb) {
          if (rb === null || RETRY_STATUSES[rb[0]]) {  // lost on the way, or the proxy lost the server
            progress(null);
            if (n >= RETRY_DELAYS_MS.length) {
              done(gettext("网络不稳定，没有提交成功。请稍后再点“提交”，不会重复上报。"));
              return;
            }
            retrying(true);
            window.setTimeout(function () { attempt(n + 1); }, RETRY_DELAYS_MS[n] + Math.random() * 500);
            return;
          }
          if (rb[0] === 201 || rb[0] === 200) {  // 200: a retry, the report saved before
            state.key = null;
            window.location.href = "/reports/" + rb[1].id + "/";
            return;
          }
          var body = rb[1] || {};
          var parts = Object.keys(body).map(function (k) { return [].concat(body[k]).join(" "); });
          done(body.detail || parts.join(" ") || gettext("提交失败，请重试。"));
        });
      }
      attempt(0);
    });
  }

  $("description").addEventListener("input", formChanged);

  $("submit-anyway").addEventListener("click", function () { $("nearby").hidden = true; send(); });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearErrors();
    if ($("submit").disabled) { return; }
    if (!state.category) {
      showError("category", gettext("请选择问题类别。"), form.querySelector("button.cat"));
      return;
    }
    if (state.lng === null) {
      showError("location", gettext("还没有位置，请在地图上点选。"), $("map"));
      return;
    }
    if (state.checkedNearby) { send(); return; }
    state.checkedNearby = true;
    fetch(form.dataset.nearby + "?" + query({ category: state.category, lng: state.lng, lat: state.lat, crs: state.crs }), { credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.json() : []; })
      .then(function (items) { if (items.length) { showNearby(items); } else { send(); } })
      .catch(function () { send(); });
  });
})();
