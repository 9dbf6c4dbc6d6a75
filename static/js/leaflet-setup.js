// Loaded right after leaflet.js on every page with a map (settings.LEAFLET_CONFIG["PLUGINS"]: auto-included
// by {% leaflet_js %}, and by the admin's map widgets), so it holds for every map however the page makes it
// (L.map in a page script, or django-leaflet's {% leaflet_map %}):
// - no "🇺🇦 Leaflet" prefix in the attribution: a district government portal; the tiles' own attribution stays;
// - the default marker's images from Leaflet's static folder. Leaflet guesses the folder from its CSS, which
//   fails once collectstatic hashes the file names (marker-icon-2x.png and marker-shadow.png were 404s).
(function () {
  if (!window.L) return;
  if (L.Control && L.Control.Attribution) L.Control.Attribution.prototype.options.prefix = false;
  var me = document.currentScript && document.currentScript.src;
  if (me && L.Icon && L.Icon.Default) {
    L.Icon.Default.prototype.options.imagePath = me.replace(/js\/leaflet-setup[^/]*$/, "leaflet/images/");
  }
})();
