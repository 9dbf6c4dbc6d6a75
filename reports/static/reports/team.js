/* The team's phone page: the team token stays in this browser; every step goes through the API.
   Every string goes through Django's JavaScript catalog. */
(function () {
  "use strict";
  var KEY = "cyf-team-token";
  var $ = function (id) { return document.getElementById(id); };
  var LABELS = {
    acknowledge: gettext("接单"),
    on_site: gettext("已到场"),
    resolve: gettext("处置完成（拍照）"),
    reject: gettext("驳回")
  };

  function api(path, options) {
    options = options || {};
    options.headers = Object.assign({ Authorization: "Bearer " + localStorage.getItem(KEY) }, options.headers || {});
    return fetch(path, options).then(function (r) {
      return r.json().then(function (b) { return [r, b]; }, function () { return [r, {}]; });
    });
  }

  function error(text) { $("team-error").textContent = text || ""; }

  function step(id, kind, extra) {
    var data = new FormData();
    data.append("kind", kind);
    Object.keys(extra || {}).forEach(function (k) { data.append(k, extra[k]); });
    api("/api/v1/reports/" + id + "/events/", { method: "POST", body: data }).then(function (rb) {
      if (!rb[0].ok) { error(rb[1].detail || gettext("操作失败，请重试。")); } else { error(""); }
      load();
    }, function () { error(gettext("网络不稳定，操作没有成功，请重试。")); });
  }

  function render(items) {
    var list = $("team-queue");
    list.innerHTML = "";
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "card";
      empty.textContent = gettext("暂无待处理的随手拍。");
      list.appendChild(empty);
    }
    items.forEach(function (r) {
      var li = document.createElement("li");
      li.style.padding = "10px 14px";
      var head = document.createElement("div");
      var title = document.createElement("strong");
      title.textContent = "#" + r.id + " " + r.category.name;
      var badge = document.createElement("span");
      badge.className = "badge soon";
      badge.textContent = r.status_label;
      var where = document.createElement("div");
      where.className = "muted";
      where.textContent = (r.street ? r.street + " · " : "") + r.lat + ", " + r.lng;
      var text = document.createElement("div");
      text.textContent = r.description || "";
      head.appendChild(title); head.appendChild(document.createTextNode(" ")); head.appendChild(badge);
      head.appendChild(where); head.appendChild(text);
      li.appendChild(head);
      var actions = document.createElement("div");
      actions.className = "team-actions";
      ["acknowledge", "on_site", "resolve", "reject"].forEach(function (kind) {
        var btn = document.createElement("button");
        btn.type = "button"; btn.className = "btn secondary"; btn.textContent = LABELS[kind];
        btn.addEventListener("click", function () {
          if (kind === "reject") {
            var reason = window.prompt(gettext("驳回原因"));
            if (reason) { step(r.id, kind, { reason: reason }); }
          } else if (kind === "resolve") {
            var input = document.createElement("input");
            input.type = "file"; input.accept = "image/*"; input.setAttribute("capture", "environment");
            input.addEventListener("change", function () { if (input.files[0]) { step(r.id, kind, { photo: input.files[0] }); } });
            input.click();
          } else { step(r.id, kind); }
        });
        actions.appendChild(btn);
      });
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  function load() {
    if (!localStorage.getItem(KEY)) { return; }
    api("/api/v1/reports/team/?open=1").then(function (rb) {
      if (!rb[0].ok) { error(gettext("令牌无效。")); $("token-form").hidden = false; return; }
      $("token-form").hidden = true;
      render(rb[1].results || []);
    }, function () { error(gettext("网络不稳定，稍后自动刷新。")); });
  }

  $("token-form").addEventListener("submit", function (e) {
    e.preventDefault();
    localStorage.setItem(KEY, $("team-token").value.trim());
    load();
  });
  load();
  setInterval(load, 15000);
})();
