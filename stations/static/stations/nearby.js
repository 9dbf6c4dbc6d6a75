/* Nearest stations: where to measure from (a link's ?lng=&lat=, a picked street, the phone's location, the
   rider's work street, a pick on the map), an optional name/address search (?q=), big filter toggles, then
   the API's GeoJSON drawn as a list and as clustered pins by kind and opening state, each pin linked to its
   list item and back. Markers use the server's `display` coordinates (already converted for GCJ-02 tiles
   by chaoyang_friendly.geo, for the stations and for the origin), so this file has no datum maths of its
   own. Every word goes through Django's JavaScript catalog (gettext/ngettext/interpolate, base.html). */
(function () {
  "use strict";
  var app = document.getElementById("stations-app");
  if (!app) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var data = app.dataset;
  // origin: {lng, lat, crs, kind: "link" | "street" | "gps" | "work" | "pick", accuracy, label}
  var state = { origin: null, q: data.q || "", openNow: false, amenities: [], located: false };
  var map = null, pins = null, originLayer = null, pending = null, lastFeatures = null;
  var markers = {};
  var KIND_GROUP = {
    merchant: "merchant",
    parking: "parking",
    battery_swap: "battery"
  };
  // One glyph per kind of place, in the page's language (from nearby.html's data-pin-* attributes).
  var GROUP_GLYPH = { station: data.pinStation, merchant: data.pinMerchant, parking: data.pinParking, battery: data.pinBattery };

  function kindGroup(kind) { return KIND_GROUP[kind] || "station"; }

  function fmtDistance(m) {
    if (m === null || m === undefined) { return ""; }
    if (m < 1000) { return interpolate(gettext("%(m)s 米"), { m: Math.round(m) }, true); }
    return interpolate(gettext("%(km)s 公里"), { km: (m / 1000).toFixed(1) }, true);
  }

  // A radius that contains every listed station: rounded up, never down.
  function fmtRadius(m) {
    if (m < 1000) { return interpolate(gettext("%(m)s 米"), { m: Math.max(10, Math.ceil(m / 10) * 10) }, true); }
    return interpolate(gettext("%(km)s 公里"), { km: (Math.ceil(m / 100) / 10).toFixed(1) }, true);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function setLocStatus(text) { $("loc-status").textContent = text; }
  function setListStatus(text) { $("list-status").textContent = text; }

  function summary(features) {
    var n = features.length;
    var text;
    if (!n) {
      if (state.q) { return interpolate(gettext("没有找到名称或地址含“%(q)s”的驿站。"), { q: state.q }, true); }
      return gettext("附近没有符合条件的驿站，试试减少筛选条件。");
    }
    var nearest = features[0].properties.distance_m;
    if (nearest === null || nearest === undefined) {
      text = interpolate(ngettext("找到 %(count)s 个。", "找到 %(count)s 个。", n), { count: n }, true);
    } else {
      var farthest = features[n - 1].properties.distance_m;
      text = interpolate(
        ngettext("最近的在 %(nearest)s外，%(radius)s内有 %(count)s 个。", "最近的在 %(nearest)s外，%(radius)s内有 %(count)s 个。", n),
        { nearest: fmtDistance(nearest), radius: fmtRadius(farthest), count: n },
        true
      );
    }
    if (state.q) { text = interpolate(gettext("名称或地址含“%(q)s”："), { q: state.q }, true) + text; }
    return text;
  }

  function select(id, scroll) {
    document.querySelectorAll("#station-list .station-item").forEach(function (li) {
      var on = li.dataset.id === String(id);
      li.classList.toggle("selected", on);
      if (on) { li.setAttribute("aria-current", "true"); } else { li.removeAttribute("aria-current"); }
      if (on && scroll) { li.scrollIntoView({ block: "center" }); }
    });
  }

  function showOnMap(id) {
    var marker = markers[id];
    if (!map || !marker) { return; }
    $("stations-map").scrollIntoView({ block: "center" });
    select(id, false);
    var open = function () { marker.openPopup(); };
    if (pins.zoomToShowLayer) { pins.zoomToShowLayer(marker, open); } else { map.setView(marker.getLatLng(), 16); open(); }
  }

  function popupContent(f) {
    var p = f.properties;
    var box = el("div", "pin-popup");
    var link = el("a", "pin-popup-name", p.name);
    link.href = p.url;
    box.appendChild(link);
    var meta = el("div", "muted", [p.kind_label, p.hours_label, fmtDistance(p.distance_m)].filter(Boolean).join(" · "));
    box.appendChild(meta);
    var toList = el("button", "tap-link", gettext("在列表中查看"));
    toList.type = "button";
    toList.addEventListener("click", function () { select(f.id, true); });
    box.appendChild(toList);
    return box;
  }

  function pinFor(f) {
    var p = f.properties;
    var group = kindGroup(p.kind);
    var glyph = el("span", null, GROUP_GLYPH[group] || "");
    glyph.setAttribute("aria-hidden", "true");
    var icon = L.divIcon({
      className: "pin pin-" + group + " pin-" + p.hours_state,
      html: glyph,
      iconSize: [44, 44],
      iconAnchor: [22, 22],
      popupAnchor: [0, -18]
    });
    var marker = L.marker([p.display[1], p.display[0]], { icon: icon, title: p.name + " · " + p.hours_label, riseOnHover: true });
    marker.stationId = f.id;
    // Popups keep clear of the zoom buttons (top left) and the sticky page header.
    marker.bindPopup(popupContent(f), { autoPanPaddingTopLeft: L.point(64, 16), autoPanPaddingBottomRight: L.point(16, 16) });
    marker.on("click", function () { select(f.id, false); });
    return marker;
  }

  function clusterIcon(cluster) {
    var n = cluster.getChildCount();
    return L.divIcon({
      html: "<span>" + n + "</span>",
      className: "pin-cluster",
      iconSize: [44, 44]
    });
  }

  function drawOrigin(origin) {
    if (!map || !originLayer) { return; }
    originLayer.clearLayers();
    if (!state.origin || !origin) { return; }
    var at = [origin.display[1], origin.display[0]];
    if (state.origin.kind === "gps") {
      if (state.origin.accuracy && state.origin.accuracy <= 3000) {
        L.circle(at, { radius: state.origin.accuracy, className: "here-accuracy", interactive: false, weight: 1 }).addTo(originLayer);
      }
      L.marker(at, {
        icon: L.divIcon({ className: "here-marker", iconSize: [22, 22], iconAnchor: [11, 11] }),
        title: gettext("您在这里"),
        alt: gettext("您在这里"),
        zIndexOffset: 1000,
        keyboard: false,
        interactive: false
      }).addTo(originLayer);
    } else {
      L.marker(at, {
        icon: L.divIcon({ className: "origin-marker", iconSize: [18, 18], iconAnchor: [9, 9] }),
        title: gettext("距离从这里算起"),
        zIndexOffset: 900,
        keyboard: false,
        interactive: false
      }).addTo(originLayer);
    }
  }

  function render(body) {
    var features = body.features;
    lastFeatures = body;
    var list = $("station-list");
    list.textContent = "";
    markers = {};
    setListStatus(summary(features));
    if (pins) { pins.clearLayers(); }
    var layers = [];
    features.forEach(function (f) {
      var p = f.properties;
      var li = el("li", "station-item");
      li.dataset.id = f.id;
      var a = el("a", "station-link");
      a.href = p.url;
      var row = el("div", "row");
      row.appendChild(el("span", "name", p.name));
      row.appendChild(el("span", "dist", fmtDistance(p.distance_m)));
      a.appendChild(row);
      var meta = el("div", "meta");
      meta.appendChild(el("span", "badge " + p.hours_state, p.hours_label));
      var extra = " " + p.kind_label;
      if (p.charging_ports) { extra += " · " + interpolate(gettext("充电口 %(n)s"), { n: p.charging_ports }, true); }
      meta.appendChild(document.createTextNode(extra));
      // The hours line: opening hours in plain words from the server (stations/hours.py, the hours work).
      if (p.hours_text) { meta.appendChild(el("div", "hours-text", p.hours_text)); }
      if (p.address) { meta.appendChild(el("div", "addr", p.address)); }
      a.appendChild(meta);
      li.appendChild(a);
      if (map && window.L) {
        var marker = pinFor(f);
        markers[f.id] = marker;
        layers.push(marker);
        var btn = el("button", "show-on-map");
        btn.type = "button";
        btn.setAttribute("aria-label", interpolate(gettext("在地图上查看%(name)s"), { name: p.name }, true));
        btn.textContent = gettext("地图");
        btn.addEventListener("click", function () { showOnMap(f.id); });
        li.appendChild(btn);
      }
      list.appendChild(li);
    });
    if (pins) {
      if (pins.addLayers) { pins.addLayers(layers); } else { layers.forEach(function (m) { pins.addLayer(m); }); }
    }
    drawOrigin(body.origin);
    if (map) {
      // With an origin, frame it and the nearest few close by (the rest are a pan or a zoom away); else all.
      var shown = features;
      if (body.origin && state.origin && features.length) {
        var near = Math.max(1500, 3 * (features[0].properties.distance_m || 0));
        shown = features.slice(0, 5).filter(function (f, i) { return i === 0 || f.properties.distance_m <= near; });
      }
      var pts = shown.map(function (f) { return [f.properties.display[1], f.properties.display[0]]; });
      if (body.origin && state.origin) { pts.push([body.origin.display[1], body.origin.display[0]]); }
      if (pts.length) { map.fitBounds(L.latLngBounds(pts).pad(0.15), { maxZoom: 16 }); }
    }
  }

  function load() {
    if (!state.origin && !state.q) {
      setListStatus(gettext("请选择街道或搜索驿站名称。"));
      return;
    }
    var q = new URLSearchParams();
    if (state.origin) {
      q.set("lng", state.origin.lng); q.set("lat", state.origin.lat); q.set("crs", state.origin.crs);
    }
    q.set("limit", "20");
    if (state.q) { q.set("q", state.q); }
    if (state.openNow) { q.set("open_now", "1"); }
    state.amenities.forEach(function (c) { q.append("amenity", c); });
    setListStatus(gettext("正在查找…"));
    if (pending && pending.abort) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    fetch(data.api + "?" + q.toString(), { credentials: "same-origin", signal: pending && pending.signal })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { setListStatus(res.body.detail || gettext("查询失败，请稍后重试。")); return; }
        render(res.body);
      })
      .catch(function (e) { if (e.name !== "AbortError") { setListStatus(gettext("网络不好，请稍后重试。")); } });
  }

  function setOrigin(origin) {
    state.origin = origin;
    setLocStatus(origin.label);
    load();
  }

  function fromWorkStreet(why) {
    if (data.workLng) {
      setOrigin({ lng: data.workLng, lat: data.workLat, crs: "wgs84", kind: "work", label: data.workLabel });
      return;
    }
    setLocStatus(why);
    if (state.q) { load(); return; }
    setListStatus(gettext("请在上面选择街道、搜索驿站名称，或在地图上点选位置。"));
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

  var pick = $("street-pick");
  if (pick) {
    pick.addEventListener("change", function () {
      if (pick.value) { $("street-form").submit(); }
    });
  }

  window.stationsMapInit = function (m) {
    map = m;
    if (map.attributionControl) { map.attributionControl.setPrefix(false); }
    pins = L.markerClusterGroup
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 44, spiderfyOnMaxZoom: true, iconCreateFunction: clusterIcon })
      : L.layerGroup();
    pins.addTo(map);
    originLayer = L.layerGroup().addTo(map);
    // A pick on the map is in the tiles' datum; the server converts GCJ-02 picks (crs=gcj02).
    map.on("click", function (e) {
      setOrigin({ lng: e.latlng.lng, lat: e.latlng.lat, crs: data.tilesCrs || "wgs84", kind: "pick", label: gettext("按您在地图上点选的位置显示。") });
    });
    if (lastFeatures) { render(lastFeatures); }
  };

  var params = new URLSearchParams(window.location.search);
  if (params.get("lng") && params.get("lat")) {
    setOrigin({
      lng: parseFloat(params.get("lng")), lat: parseFloat(params.get("lat")), crs: params.get("crs") || "wgs84",
      kind: "link", label: gettext("按链接中的位置显示。")
    });
  } else if (data.streetLng) {
    setOrigin({ lng: data.streetLng, lat: data.streetLat, crs: "wgs84", kind: "street", label: data.streetLabel });
  } else if (navigator.geolocation) {
    var settled = false;
    var fail = function (denied) {
      if (settled) { return; }
      settled = true;
      fromWorkStreet(denied
        ? gettext("未获得定位权限。请选择街道或搜索驿站名称，也可以在地图上点选位置。")
        : gettext("暂时无法定位。请选择街道或搜索驿站名称，也可以在地图上点选位置。"));
    };
    // Some in-app browsers never answer: stop waiting after a while.
    var giveUp = window.setTimeout(function () { fail(false); }, 12000);
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        window.clearTimeout(giveUp);
        if (settled && state.origin && state.origin.kind !== "work") { return; }
        settled = true;
        var acc = Math.round(pos.coords.accuracy || 0);
        setOrigin({
          lng: pos.coords.longitude, lat: pos.coords.latitude, crs: "wgs84", kind: "gps", accuracy: acc,
          label: acc
            ? interpolate(gettext("按您的当前位置显示（误差约 %(m)s 米）。"), { m: acc }, true)
            : gettext("按您的当前位置显示。")
        });
      },
      function (err) { window.clearTimeout(giveUp); fail(err && err.code === 1); },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
    if (state.q) { load(); }
  } else {
    fromWorkStreet(gettext("这个浏览器不能定位。请选择街道或搜索驿站名称，也可以在地图上点选位置。"));
  }
})();
