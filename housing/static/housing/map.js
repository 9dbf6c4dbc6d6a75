// Housing projects on a Leaflet map (markers arrive already in the basemap's datum from the server).
// Words come from Django's JavaScript catalog (gettext/interpolate, loaded by base.html).
(function () {
  var el = document.getElementById("housing-map");
  var data = document.getElementById("housing-markers");
  if (!el || !data || typeof L === "undefined") return;
  var markers = JSON.parse(data.textContent);
  var map = L.map(el, { zoomControl: true }).setView([39.93, 116.48], 11);
  if (map.attributionControl) map.attributionControl.setPrefix(false);
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  var bounds = [];
  markers.forEach(function (m) {
    var marker = L.marker([m.lat, m.lng], { title: m.name, alt: m.name }).addTo(map);
    var link = document.createElement("a");
    link.href = m.url;
    link.className = "popup-link";
    link.textContent = interpolate(
      ngettext("%(name)s（空床位 %(n)s 个）", "%(name)s（空床位 %(n)s 个）", m.vacant),
      { name: m.name, n: m.vacant },
      true
    );
    marker.bindPopup(link);
    bounds.push([m.lat, m.lng]);
  });
  if (bounds.length === 1) map.setView(bounds[0], 14);
  else if (bounds.length > 1) map.fitBounds(bounds, { padding: [24, 24] });
})();
