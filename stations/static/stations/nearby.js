/* Nearest stations: the rider's location (browser, ?lng=&lat= or a map pick), big filter toggles, then
   the API's GeoJSON drawn as a list and markers. Markers use the server's `display` coordinates (already
   converted for GCJ-02 tiles by chaoyang_friendly.geo), so this file has no datum maths of its own. */
(function () {
  "use strict";
  var app = document.getElementById("stations-app");
  if (!app) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var state = { lng: null, lat: null, crs: "wgs84", openNow: false, amenities: [] };
  var map = null, layer = null, here = null, pending = null;

  function fmtDistance(m) {
    if (m === null || m === undefined) { return ""; }
    return m < 1000 ? Math.round(m) + " 米" : (m / 1000).toFixed(1) + " 公里";
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function render(features) {
    var list = $("station-list");
    list.textContent = "";
    $("list-status").textContent = features.length ? "" : "附近没有符合条件的驿站，试试减少筛选条件。";
    if (layer) { layer.clearLayers(); }
    features.forEach(function (f) {
      var p = f.properties;
      var li = el("li", "station-item");
      li.dataset.id = f.id;
      var a = el("a");
      a.href = p.url;
      var row = el("div", "row");
      row.appendChild(el("span", "name", p.name));
      row.appendChild(el("span", "dist", fmtDistance(p.distance_m)));
      a.appendChild(row);
      var meta = el("div", "meta");
      meta.appendChild(el("span", "badge " + p.hours_state, p.hours_label));
      meta.appendChild(document.createTextNode(" " + p.kind_label + (p.charging_ports ? " · 充电口 " + p.charging_ports : "")));
      a.appendChild(meta);
      li.appendChild(a);
      list.appendChild(li);
      if (layer && window.L) {
        L.marker([p.display[1], p.display[0]], { title: p.name })
          .bindPopup('<a href="' + p.url + '">' + p.name.replace(/</g, "&lt;") + "</a> " + fmtDistance(p.distance_m))
          .addTo(layer);
      }
    });
    if (map && layer && features.length) {
      var pts = features.map(function (f) { return [f.properties.display[1], f.properties.display[0]]; });
      map.fitBounds(L.latLngBounds(pts).pad(0.2), { maxZoom: 16 });
    }
  }

  function load() {
    if (state.lng === null) { return; }
    var q = new URLSearchParams();
    q.set("lng", state.lng); q.set("lat", state.lat); q.set("crs", state.crs); q.set("limit", "20");
    if (state.openNow) { q.set("open_now", "1"); }
    state.amenities.forEach(function (c) { q.append("amenity", c); });
    $("list-status").textContent = "正在查找…";
    if (pending && pending.abort) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    fetch(app.dataset.api + "?" + q.toString(), { credentials: "same-origin", signal: pending && pending.signal })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { $("list-status").textContent = res.body.detail || "查询失败"; return; }
        render(res.body.features);
      })
      .catch(function (e) { if (e.name !== "AbortError") { $("list-status").textContent = "网络不好，请稍后重试。"; } });
  }

  function setPoint(lng, lat, crs, label, displayLatLng) {
    state.lng = lng; state.lat = lat; state.crs = crs;
    $("loc-status").textContent = label;
    if (map && displayLatLng) {
      if (!here) { here = L.circleMarker(displayLatLng, { radius: 8, color: "#d93025" }).addTo(map); } else { here.setLatLng(displayLatLng); }
      map.setView(displayLatLng, 14);
    }
    load();
  }

  document.querySelectorAll("#stations-app .toggle").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var on = btn.getAttribute("aria-pressed") !== "true";
      btn.setAttribute("aria-pressed", on ? "true" : "false");
      if (btn.id === "open-now") { state.openNow = on; }
      else {
        var code = btn.dataset.code;
        state.amenities = state.amenities.filter(function (c) { return c !== code; });
        if (on) { state.amenities.push(code); }
      }
      load();
    });
  });

  window.stationsMapInit = function (m) {
    map = m;
    layer = L.layerGroup().addTo(map);
    // A pick on the map is in the tiles' datum; the server converts GCJ-02 picks (crs=gcj02).
    map.on("click", function (e) {
      setPoint(e.latlng.lng, e.latlng.lat, app.dataset.tilesCrs || "wgs84", "已选择地图上的位置", e.latlng);
    });
    if (state.lng !== null) { load(); }
  };

  var params = new URLSearchParams(window.location.search);
  if (params.get("lng") && params.get("lat")) {
    setPoint(parseFloat(params.get("lng")), parseFloat(params.get("lat")), params.get("crs") || "wgs84", "按链接中的位置查找");
  } else if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(
      function (pos) { setPoint(pos.coords.longitude, pos.coords.latitude, "wgs84", "已定位到您的位置"); },
      function () { $("loc-status").textContent = "无法定位，请在地图上点选您的位置。"; },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  } else {
    $("loc-status").textContent = "请在地图上点选您的位置。";
  }
})();
