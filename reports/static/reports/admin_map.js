/* Maps in the reports admin: the queue's points on the changelist (drawn when the clerk unfolds the map, so
   the list stays on screen), one point on the change form. Strings come from Django's JavaScript catalog. */
(function () {
  "use strict";

  function tiles(map, el) {
    if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map); }
  }

  function escape(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function legend(map) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "reports-map-legend");
      div.style.cssText = "background:#fff;padding:6px 8px;border-radius:4px;line-height:1.6;color:#202124";
      div.innerHTML =
        '<span style="color:#c5221f">●</span> ' + escape(gettext("已超时")) + "<br>" +
        '<span style="color:#1a73e8">●</span> ' + escape(gettext("未超时或已关闭"));
      return div;
    };
    control.addTo(map);
  }

  function drawQueue(el, points) {
    var map = L.map(el);
    tiles(map, el);
    var bounds = [];
    points.forEach(function (p) {
      var colour = p.overdue ? "#c5221f" : "#1a73e8";
      L.circleMarker([p.lat, p.lng], { radius: 8, color: colour, fillColor: colour, fillOpacity: 0.7 })
        .addTo(map)
        .bindPopup(
          "<strong>" + escape(p.label) + "</strong>" +
          (p.overdue ? '<br><span style="color:#c5221f">' + escape(gettext("已超时")) + "</span>" : "") +
          '<br><a href="' + encodeURIComponent(p.id) + '/change/">' + escape(gettext("打开处理")) + "</a>"
        );
      bounds.push([p.lat, p.lng]);
    });
    legend(map);
    if (bounds.length) { map.fitBounds(bounds, { maxZoom: 16, padding: [20, 20] }); } else { map.setView([39.95, 116.48], 11); }
    el.dataset.drawn = "1";
  }

  function init() {
    if (!window.L) { return; }
    var list = document.getElementById("reports-queue-map");
    var data = document.getElementById("reports-points");
    var fold = document.getElementById("reports-map-fold");
    if (list && data) {
      var points = JSON.parse(data.textContent);
      if (fold && !fold.open) {
        fold.addEventListener("toggle", function () {
          if (fold.open && !list.dataset.drawn) { drawQueue(list, points); }
        });
      } else {
        drawQueue(list, points);
      }
    }
    document.querySelectorAll(".reports-map").forEach(function (el) {
      var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng);
      var m = L.map(el).setView([lat, lng], 16);
      tiles(m, el);
      L.marker([lat, lng], { title: gettext("上报位置") }).addTo(m);
    });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
