/* The team's phone page: the team token stays in this browser; every step goes through the API. */
(function () {
  "use strict";
  var KEY = "cyf-team-token";
  var $ = function (id) { return document.getElementById(id); };
  var LABELS = { acknowledge: "接单", on_site: "已到场", resolve: "处置完成（拍照）", reject: "驳回" };

  function api(path, options) {
    options = options || {};
    options.headers = Object.assign({ Authorization: "Bearer " + localStorage.getItem(KEY) }, options.headers || {});
    return fetch(path, options).then(function (r) { return r.json().then(function (b) { return [r, b]; }); });
  }

  function step(id, kind, extra) {
    var data = new FormData();
    data.append("kind", kind);
    Object.keys(extra || {}).forEach(function (k) { data.append(k, extra[k]); });
    api("/api/v1/reports/" + id + "/events/", { method: "POST", body: data }).then(function (rb) {
      if (!rb[0].ok) { $("team-error").textContent = rb[1].detail || "操作失败"; }
      load();
    });
  }

  function render(items) {
    var list = $("team-queue");
    list.innerHTML = "";
    if (!items.length) { list.innerHTML = "<li class='card'>暂无待处理的随手拍。</li>"; }
    items.forEach(function (r) {
      var li = document.createElement("li");
      li.style.padding = "10px 14px";
      var head = document.createElement("div");
      head.innerHTML = "<strong></strong> <span class='badge soon'></span><div class='muted'></div><div></div>";
      head.querySelector("strong").textContent = "#" + r.id + " " + r.category.name;
      head.querySelector(".badge").textContent = r.status_label;
      head.querySelector(".muted").textContent = (r.street || "") + " · " + r.lat + ", " + r.lng;
      head.lastChild.textContent = r.description || "";
      li.appendChild(head);
      ["acknowledge", "on_site", "resolve", "reject"].forEach(function (kind) {
        var btn = document.createElement("button");
        btn.type = "button"; btn.className = "btn secondary"; btn.textContent = LABELS[kind];
        btn.addEventListener("click", function () {
          if (kind === "reject") {
            var reason = window.prompt("驳回原因");
            if (reason) { step(r.id, kind, { reason: reason }); }
          } else if (kind === "resolve") {
            var input = document.createElement("input");
            input.type = "file"; input.accept = "image/*"; input.setAttribute("capture", "environment");
            input.addEventListener("change", function () { if (input.files[0]) { step(r.id, kind, { photo: input.files[0] }); } });
            input.click();
          } else { step(r.id, kind); }
        });
        li.appendChild(btn);
      });
      list.appendChild(li);
    });
  }

  function load() {
    if (!localStorage.getItem(KEY)) { return; }
    api("/api/v1/reports/team/?open=1").then(function (rb) {
      if (!rb[0].ok) { $("team-error").textContent = "令牌无效。"; return; }
      $("token-form").hidden = true;
      render(rb[1].results || []);
    });
  }

  $("token-form").addEventListener("submit", function (e) {
    e.preventDefault();
    localStorage.setItem(KEY, $("team-token").value.trim());
    load();
  });
  load();
  setInterval(load, 15000);
})();
