/* Draw every chart on the dashboard from its JSON endpoint with the vendored Chart.js, and the map of
   coverage gaps and report hotspots with a legend and popups. Strings come from Django's JavaScript
   catalog (the page loads it first). */
(function () {
  "use strict";
  var fmt = window.interpolate || function (s) { return s; };
  var palette = ["#d93025", "#1a73e8", "#188038", "#f9ab00", "#9334e6", "#e8710a", "#12b5cb", "#5f6368"];

  function targetLine(value) {
    return {
      id: "targetLine",
      afterDatasetsDraw: function (chart) {
        if (value === null || value === undefined) return;
        var y = chart.scales.y.getPixelForValue(value), ctx = chart.ctx, area = chart.chartArea;
        ctx.save(); ctx.strokeStyle = "#d93025"; ctx.setLineDash([6, 4]); ctx.lineWidth = 2;
        ctx.beginPath(); ctx.moveTo(area.left, y); ctx.lineTo(area.right, y); ctx.stroke(); ctx.restore();
      }
    };
  }

  // An empty chart says so instead of leaving a blank box.
  var emptyNote = {
    id: "emptyNote",
    afterDraw: function (chart) {
      var hasData = chart.data.datasets.some(function (ds) { return ds.data.some(function (v) { return v; }); });
      if (hasData) return;
      var ctx = chart.ctx, area = chart.chartArea || { left: 0, right: chart.width, top: 0, bottom: chart.height };
      ctx.save(); ctx.fillStyle = "#5f6368"; ctx.font = "16px sans-serif"; ctx.textAlign = "center";
      ctx.fillText(gettext("暂无数据"), (area.left + area.right) / 2, (area.top + area.bottom) / 2); ctx.restore();
    }
  };

  function draw(canvas) {
    fetch(canvas.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        data.datasets.forEach(function (ds, i) {
          ds.backgroundColor = ds.backgroundColor || palette[i % palette.length];
          ds.borderColor = ds.borderColor || palette[i % palette.length];
        });
        new Chart(canvas, {
          type: data.kind,
          data: { labels: data.labels, datasets: data.datasets },
          options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } },
          plugins: [targetLine(data.target), emptyNote]
        });
        canvas.dataset.drawn = "1";
      })
      .catch(function () { canvas.dataset.drawn = "error"; });
  }

  document.querySelectorAll("canvas[data-url]").forEach(draw);

  function escape(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function legend(map) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "an-legend");
      div.setAttribute("role", "note");
      div.innerHTML =
        '<strong>' + escape(gettext("图例")) + "</strong>" +
        '<div><span class="an-swatch an-swatch-gap"></span>' + escape(gettext("15分钟服务圈未覆盖的区域")) + "</div>" +
        '<div><span class="an-swatch an-swatch-hot"></span>' + escape(gettext("随手拍热点（圆越大，上报越多）")) + "</div>";
      return div;
    };
    control.addTo(map);
  }

  var mapEl = document.getElementById("an-map");
  if (mapEl && window.L) {
    var map = L.map(mapEl).setView([39.95, 116.48], 11);
    var tiles = mapEl.dataset.tiles;
    if (tiles) L.tileLayer(tiles, { maxZoom: 18 }).addTo(map);
    legend(map);
    // Hotspots above the gap polygons, so that a tap on a circle opens its popup, not the street's.
    map.createPane("hotspots").style.zIndex = 450;
    fetch(mapEl.dataset.gapsUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      if (!data.geojson) return;
      L.geoJSON(data.geojson, {
        style: { color: "#d93025", weight: 1, fillOpacity: 0.35 },
        onEachFeature: function (feature, layer) {
          var p = feature.properties || {};
          layer.bindPopup(
            "<strong>" + escape(p.street_name || "") + "</strong><br>" +
            escape(fmt(gettext("覆盖率：%(share)s%"), { share: Math.round((p.share || 0) * 100) }, true)) + "<br>" +
            escape(fmt(gettext("辖区内驿站：%(n)s 个"), { n: p.active_stations || 0 }, true))
          );
        }
      }).addTo(map);
      mapEl.dataset.gapsDrawn = "1";
    });
    fetch(mapEl.dataset.hotspotsUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      (data.points || []).forEach(function (p) {
        L.circleMarker([p[1], p[0]], { pane: "hotspots", radius: Math.min(4 + p[2], 18), color: "#1a73e8", fillOpacity: 0.5 })
          .bindPopup(escape(fmt(gettext("这里附近有 %(n)s 条随手拍"), { n: p[2] }, true)))
          .addTo(map);
      });
      mapEl.dataset.drawn = "1";
    });
  }
})();
