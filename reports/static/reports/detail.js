/* Live report page: poll the report's API every 10 s (and when the page comes back into view) while it is
   open, and redraw the badge, the promised time, the after-photos and the timeline exactly as the server
   rendered them (reports/views.py): Beijing time, events as "05-18 14:07", promises as "14:07" on the same
   day or "5月19日 14:07" on another. */
(function () {
  "use strict";
  var box = document.getElementById("report");
  if (!box || box.dataset.open !== "1") { return; }
  var $ = function (id) { return document.getElementById(id); };
  var BEIJING_MS = 8 * 3600 * 1000;  // UTC+8 all year (no daylight saving)
  var CLOSED = { resolved: true, rejected: true, duplicate: true };
  // The badge classes of reports/views.py (BADGE_*): amber open, red overdue, green resolved, grey closed.
  var BADGE = { open: "soon", overdue: "closed", resolved: "open", closed: "unknown" };
  var timer = null;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // A Date whose UTC fields are the Beijing wall clock.
  function beijing(ms) { return new Date(ms + BEIJING_MS); }
  function eventTime(iso) {
    var d = beijing(Date.parse(iso));
    return pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }
  function promisedTime(ms, now) {
    var d = beijing(ms), today = beijing(now);
    var clock = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    var sameDay = d.getUTCFullYear() === today.getUTCFullYear() && d.getUTCMonth() === today.getUTCMonth() &&
      d.getUTCDate() === today.getUTCDate();
    if (sameDay) { return clock; }
    return interpolate(gettext("%(month)s月%(day)s日 %(clock)s"), { month: d.getUTCMonth() + 1, day: d.getUTCDate(), clock: clock }, true);
  }
  function ms(iso) { return iso ? Date.parse(iso) : null; }

  // The same rules as report_badge / report_promise in reports/views.py.
  function promiseDue(data) {
    if (data.status === "on_site") { return ms(data.resolve_due_at); }
    var arrival = ms(data.arrival_due_at);
    if (arrival !== null) { return arrival; }
    return Date.parse(data.created_at) + data.category.arrival_sla_minutes * 60000;
  }
  function badge(data, now) {
    if (data.status === "resolved") { return BADGE.resolved; }
    if (CLOSED[data.status]) { return BADGE.closed; }
    var arrival = ms(data.arrival_due_at), resolve = ms(data.resolve_due_at), due = promiseDue(data);
    var late = (arrival !== null && data.status !== "on_site" && arrival < now) || (resolve !== null && resolve < now) ||
      (due !== null && due < now);
    return late ? BADGE.overdue : BADGE.open;
  }
  function promise(data, now) {
    if (CLOSED[data.status]) { return ""; }
    var due = promiseDue(data), onSite = data.status === "on_site";
    if (due === null) { return gettext("应急队已到场。"); }
    var args = { time: promisedTime(due, now) };
    if (onSite && due < now) { return interpolate(gettext("应急队已到场，已超过预计处置完成时间 %(time)s，正在督办。"), args, true); }
    if (onSite) { return interpolate(gettext("应急队已到场，预计 %(time)s 前处置完成。"), args, true); }
    if (due < now) { return interpolate(gettext("已超过预计到场时间 %(time)s，正在督办。"), args, true); }
    return interpolate(gettext("应急队预计 %(time)s 前到场。"), args, true);
  }

  function photoLink(p) {
    var a = document.createElement("a");
    a.href = p.url;
    var img = document.createElement("img");
    img.src = p.thumbnail_url;
    img.alt = gettext("处置后照片");
    a.appendChild(img);
    return a;
  }

  function draw(data) {
    var now = Date.now(), cls = badge(data, now), text = promise(data, now);
    var status = $("status");
    status.textContent = data.status_label;
    status.className = "badge " + cls;
    var p = $("promise");
    p.textContent = text;
    p.hidden = !text;
    p.className = "promise" + (cls === BADGE.overdue ? " late" : "");
    var after = data.photos.filter(function (ph) { return ph.kind === "after"; });
    if (after.length) {
      var box2 = $("after-photos");
      box2.innerHTML = "";
      after.forEach(function (ph) { box2.appendChild(photoLink(ph)); });
      $("after").hidden = false;
    }
    var list = $("timeline");
    list.innerHTML = "";
    data.events.forEach(function (e) {
      var li = document.createElement("li");
      li.dataset.kind = e.kind;
      var strong = document.createElement("strong");
      strong.textContent = e.label;
      var when = document.createElement("span");
      when.className = "muted";
      when.textContent = eventTime(e.at);
      li.appendChild(strong); li.appendChild(document.createTextNode(" ")); li.appendChild(when);
      if (e.note) { var note = document.createElement("div"); note.textContent = e.note; li.appendChild(note); }
      list.appendChild(li);
    });
    if (CLOSED[data.status]) {
      box.dataset.open = "0";
      window.clearInterval(timer);
    }
  }

  function refresh() {
    if (box.dataset.open !== "1") { return; }
    fetch(box.dataset.api, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) { draw(data); }
        box.dataset.polls = String((parseInt(box.dataset.polls, 10) || 0) + 1);  // how many answers came
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  timer = window.setInterval(refresh, 10000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
})();
