/* Live timeline: poll the report's API every 10 s while it is open. */
(function () {
  "use strict";
  var box = document.getElementById("report");
  if (!box || box.dataset.open !== "1") { return; }
  function refresh() {
    fetch(box.dataset.api, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data) { return; }
      document.getElementById("status").textContent = data.status_label;
      var list = document.getElementById("timeline");
      list.innerHTML = "";
      data.events.forEach(function (e) {
        var li = document.createElement("li");
        li.dataset.kind = e.kind;
        var strong = document.createElement("strong");
        strong.textContent = e.label;
        var when = document.createElement("span");
        when.className = "muted";
        when.textContent = " " + new Date(e.at).toLocaleString("zh-CN", { hour12: false });
        li.appendChild(strong); li.appendChild(when);
        if (e.note) { var note = document.createElement("div"); note.textContent = e.note; li.appendChild(note); }
        list.appendChild(li);
      });
      if (["resolved", "rejected", "duplicate"].indexOf(data.status) >= 0) { clearInterval(timer); }
    });
  }
  var timer = setInterval(refresh, 10000);
})();
