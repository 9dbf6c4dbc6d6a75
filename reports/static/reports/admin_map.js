/* Maps in the reports admin: the queue's points on the changelist, one point on the change form. */
(function () {
  "use strict";
  function tiles(map, el) {
    if (el.dataset.tiles) { L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map); }
  }
  function init() {
    if (!window.L) { return; }
    var list = document.getElementById("reports-queue-map");
    var data = document.getElementById("reports-points");
    if (list && data) {
      var points = JSON.parse(data.textContent);
      var map = L.map(list);
      tiles(map, list);
      var bounds = [];
      points.forEach(function (p) {
        L.marker([p.lat, p.lng]).addTo(map).bindPopup('<a href="' + p.id + '/change/">' + p.label.replace(/</g, "&lt;") + "</a>");
        bounds.push([p.lat, p.lng]);
      });
      if (bounds.length) { map.fitBounds(bounds, { maxZoom: 16, padding: [20, 20] }); } else { map.setView([39.95, 116.48], 11); }
    }
    document.querySelectorAll(".reports-map").forEach(function (el) {
      var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng);
      var m = L.map(el).setView([lat, lng], 16);
      tiles(m, el);
      L.marker([lat, lng]).addTo(m);
    });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
