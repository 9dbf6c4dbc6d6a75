/* The opening-hours editor of the station admin (stations/widgets.py).
 *
 * Clerks tick days and fill time ranges; the editor writes valid OpenStreetMap opening_hours syntax into
 * the raw field below it ("Mo-Fr 09:00-21:00; PH off"), which experts may still edit by hand. Hours the
 * editor cannot show (months, comments, overnight ranges…) leave it switched off and the raw text as it is.
 * Mistakes are shown beside the row, and saving stops at the first one (scrolled to and focused).
 * Strings go through Django's JavaScript catalog (the admin's jsi18n). No inline handlers (CSP).
 */
(function () {
  "use strict";

  var DAY_CODES = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
  var FULL_DAY = 24 * 60;
  var fmt = window.interpolate || function (s, args) { return s.replace("%s", args[0]); };

  function dayNames() {
    return [gettext("周一"), gettext("周二"), gettext("周三"), gettext("周四"), gettext("周五"), gettext("周六"), gettext("周日")];
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  /* ---- syntax <-> state --------------------------------------------------------------------------- */

  function normalize(text) {
    return (text || "")
      .replace(/\uFF1A/g, ":").replace(/\uFF1B/g, ";").replace(/\uFF0C/g, ",")
      .replace(/[\uFF0D\u2014\u2013\uFF5E~]/g, "-").replace(/\s+/g, " ").trim();
  }

  function minutes(hhmm) {
    var m = /^(\d{1,2}):(\d{2})$/.exec(hhmm || "");
    if (!m) return null;
    var h = parseInt(m[1], 10), min = parseInt(m[2], 10);
    if (min > 59 || h > 24 || (h === 24 && min > 0)) return null;
    return h * 60 + min;
  }

  function clock(total) {
    var h = Math.floor(total / 60), m = total % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function parseDays(token) {
    var days = [false, false, false, false, false, false, false];
    var parts = token.split(",");
    for (var i = 0; i < parts.length; i++) {
      var m = /^(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?$/.exec(parts[i]);
      if (!m) return null;
      var first = DAY_CODES.indexOf(m[1]);
      var last = m[2] ? DAY_CODES.indexOf(m[2]) : first;
      var span = (last - first + 7) % 7;
      for (var d = 0; d <= span; d++) days[(first + d) % 7] = true;
    }
    return days;
  }

  function parseRanges(text) {
    var ranges = [];
    var parts = text.split(",");
    for (var i = 0; i < parts.length; i++) {
      var m = /^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$/.exec(parts[i].trim());
      if (!m) return null;
      var start = minutes(m[1]), end = minutes(m[2]);
      if (start === null || end === null || end <= start) return null; // overnight: the raw field
      ranges.push([start, end]);
    }
    return ranges;
  }

  /* {mode: "unknown" | "always" | "ranges", holidayOff, groups: [{days: [7 booleans], ranges: [[start, end]]}]}
   * or null when the editor cannot show `text`. */
  function parse(text) {
    text = normalize(text);
    var state = { mode: "unknown", holidayOff: false, groups: [] };
    if (!text) return state;
    if (/["|]/.test(text)) return null;
    var rules = text.split(";").map(function (r) { return r.trim(); }).filter(Boolean);
    var always = false;
    for (var i = 0; i < rules.length; i++) {
      var rule = rules[i];
      if (rule === "24/7") { always = true; continue; }
      if (rule === "PH off" || rule === "PH closed") { state.holidayOff = true; continue; }
      var space = rule.indexOf(" ");
      var head = space < 0 ? rule : rule.slice(0, space);
      var rest = space < 0 ? "" : rule.slice(space + 1).trim();
      var days = parseDays(head);
      if (!days) {
        days = [true, true, true, true, true, true, true];
        rest = rule;
      }
      if (rest === "off" || rest === "closed") {
        state.groups.forEach(function (g) { days.forEach(function (on, d) { if (on) g.days[d] = false; }); });
        continue;
      }
      var ranges = rest === "" || rest === "open" ? [[0, FULL_DAY]] : parseRanges(rest);
      if (!ranges) return null;
      if (ranges.length === 1 && ranges[0][0] === 0 && ranges[0][1] === FULL_DAY && days.every(Boolean)) {
        always = true;
        continue;
      }
      state.groups.push({ days: days, ranges: ranges });
    }
    state.groups = state.groups.filter(function (g) { return g.days.some(Boolean); });
    if (always && state.groups.length) return null;
    state.mode = always ? "always" : "ranges";
    return state;
  }

  function daysSyntax(days) {
    var parts = [], run = [];
    for (var d = 0; d <= 7; d++) {
      if (d < 7 && days[d]) { run.push(d); continue; }
      if (run.length >= 3) parts.push(DAY_CODES[run[0]] + "-" + DAY_CODES[run[run.length - 1]]);
      else run.forEach(function (x) { parts.push(DAY_CODES[x]); });
      run = [];
    }
    return parts.join(",");
  }

  function serialize(state) {
    if (state.mode === "unknown") return "";
    var rules = state.mode === "always" ? ["24/7"] : state.groups.map(function (g) {
      return daysSyntax(g.days) + " " + g.ranges.map(function (r) { return clock(r[0]) + "-" + clock(r[1]); }).join(",");
    });
    if (state.holidayOff) rules.push("PH off");
    return rules.join("; ");
  }

  /* ---- the editor ---------------------------------------------------------------------------------- */

  function Editor(slot, input) {
    this.slot = slot;
    this.input = input;
    this.uid = input.id || "hours";
    this.touched = false;
    this.build();
    this.load(input.value);
    var self = this;
    input.addEventListener("input", function () { self.load(input.value, true); });
    var form = input.form;
    if (form) form.addEventListener("submit", function (event) { self.onSubmit(event); });
  }

  Editor.prototype.build = function () {
    var self = this;
    var name = "hours-mode-" + this.uid;
    function mode(value, label) {
      var radio = el("input", { type: "radio", name: name, value: value, className: "hours-mode-input" });
      radio.addEventListener("change", function () { self.touched = true; self.sync(); });
      return el("label", { className: "hours-mode-option" }, [radio, document.createTextNode(" " + label)]);
    }
    this.modes = el("div", { className: "hours-modes", role: "radiogroup", "aria-label": gettext("营业方式") }, [
      mode("ranges", gettext("按星期和时段")),
      mode("always", gettext("全天 24 小时开放")),
      mode("unknown", gettext("暂不清楚")),
    ]);
    this.groupsBox = el("div", { className: "hours-groups" });
    this.addGroupButton = el("button", { type: "button", className: "button hours-add-group", text: gettext("＋ 添加一组（例如周末另有时间）") });
    this.addGroupButton.addEventListener("click", function () {
      self.touched = true;
      self.addGroup({ days: [false, false, false, false, false, false, false], ranges: [[null, null]] });
      self.sync();
    });
    this.holiday = el("input", { type: "checkbox", className: "hours-holiday-off", id: this.uid + "-holiday-off" });
    this.holiday.addEventListener("change", function () { self.touched = true; self.sync(); });
    this.holidayRow = el("p", { className: "hours-holiday" }, [
      this.holiday,
      el("label", { for: this.uid + "-holiday-off", text: " " + gettext("节假日休息（法定节假日不开放，调休上班的周末按工作日开放）") }),
    ]);
    this.notice = el("p", { className: "hours-unsupported", role: "status", hidden: "hidden",
      text: gettext("这个营业时间比较复杂，编辑器显示不了，请直接修改下面的 OpenStreetMap 文字。") });
    this.hint = el("p", { className: "help hours-hint",
      text: gettext("结束时间填 00:00 表示营业到午夜 24:00；跨夜营业（如 22:00 到次日 2:00）请直接填写下面的文字，例如 Mo-Su 22:00-02:00。") });
    this.boxError = el("p", { className: "errornote hours-error", role: "alert", hidden: "hidden" });
    this.box = el("div", { className: "hours-editor", role: "group", "aria-label": gettext("营业时间编辑器") }, [
      this.modes, this.groupsBox, this.addGroupButton, this.boxError, this.holidayRow, this.hint,
    ]);
    this.slot.appendChild(this.box);
    this.slot.appendChild(this.notice);
  };

  Editor.prototype.addGroup = function (group) {
    var self = this;
    var names = dayNames();
    var index = this.groupsBox.children.length + 1;
    var days = el("div", { className: "hours-days" }, names.map(function (label, d) {
      var id = self.uid + "-g" + index + "-d" + d + "-" + Math.random().toString(36).slice(2, 7);
      var box = el("input", { type: "checkbox", className: "hours-day", id: id, "data-day": String(d) });
      box.checked = !!group.days[d];
      return el("span", { className: "hours-day-option" }, [box, el("label", { for: id, text: label })]);
    }));
    var ranges = el("div", { className: "hours-ranges" });
    var addRange = el("button", { type: "button", className: "button hours-add-range", text: gettext("＋ 添加时段（例如午休后）") });
    var remove = el("button", { type: "button", className: "button hours-remove-group", text: gettext("删除这一组") });
    var error = el("p", { className: "errornote hours-error", role: "alert", hidden: "hidden" });
    var fieldset = el("fieldset", { className: "hours-group" }, [
      el("legend", { text: fmt(gettext("第 %s 组"), [index]) }), days, ranges,
      el("div", { className: "hours-group-actions" }, [addRange, remove]), error,
    ]);
    addRange.addEventListener("click", function () {
      self.touched = true;
      self.addRange(ranges, [null, null]);
      self.sync();
    });
    remove.addEventListener("click", function () {
      self.touched = true;
      fieldset.remove();
      self.renumber();
      self.sync();
    });
    fieldset.addEventListener("change", function () {
      self.touched = true;
      fieldset.setAttribute("data-touched", "1");
      self.sync();
    });
    group.ranges.forEach(function (r) { self.addRange(ranges, r); });
    this.groupsBox.appendChild(fieldset);
  };

  Editor.prototype.addRange = function (box, range) {
    var self = this;
    function timeInput(cls, label, value) {
      var input = el("input", { type: "time", step: "60", className: cls, "aria-label": label });
      if (value !== null && value !== undefined) input.value = clock(value === FULL_DAY ? 0 : value);
      return el("label", { className: "hours-time" }, [document.createTextNode(label + " "), input]);
    }
    var removeRange = el("button", { type: "button", className: "button hours-remove-range", text: gettext("删除时段") });
    var row = el("div", { className: "hours-range" }, [
      timeInput("hours-start", gettext("开始"), range[0]),
      el("span", { className: "hours-dash", text: "–" }),
      timeInput("hours-end", gettext("结束"), range[1]),
      removeRange,
    ]);
    removeRange.addEventListener("click", function () {
      self.touched = true;
      row.remove();
      self.sync();
    });
    box.appendChild(row);
  };

  Editor.prototype.renumber = function () {
    Array.prototype.forEach.call(this.groupsBox.querySelectorAll("legend"), function (legend, i) {
      legend.textContent = fmt(gettext("第 %s 组"), [i + 1]);
    });
  };

  Editor.prototype.load = function (text, fromRaw) {
    var state = parse(text);
    this.supported = !!state;
    this.box.hidden = !state;
    this.notice.hidden = !!state;
    if (!state) return;
    if (fromRaw) this.touched = false;
    this.groupsBox.textContent = "";
    var self = this;
    if (state.mode !== "ranges" || !state.groups.length) {
      this.addGroup({ days: [true, true, true, true, true, false, false], ranges: [[null, null]] });
    }
    state.groups.forEach(function (g) { self.addGroup(g); });
    Array.prototype.forEach.call(this.modes.querySelectorAll("input"), function (radio) {
      radio.checked = radio.value === state.mode;
    });
    this.holiday.checked = state.holidayOff;
    this.showMode(state.mode);
    this.showErrors([], true);
  };

  Editor.prototype.mode = function () {
    var checked = this.modes.querySelector("input:checked");
    return checked ? checked.value : "unknown";
  };

  Editor.prototype.showMode = function (mode) {
    var ranges = mode === "ranges";
    this.groupsBox.hidden = !ranges;
    this.addGroupButton.hidden = !ranges;
    this.holidayRow.hidden = mode === "unknown";
    this.hint.hidden = !ranges;
  };

  /* Read the form; return {state, errors: [{group, field, message}]} */
  Editor.prototype.read = function () {
    var mode = this.mode();
    var state = { mode: mode, holidayOff: this.holiday.checked, groups: [] };
    var errors = [];
    if (mode !== "ranges") return { state: state, errors: errors };
    var seen = [false, false, false, false, false, false, false];
    var names = dayNames();
    Array.prototype.forEach.call(this.groupsBox.querySelectorAll(".hours-group"), function (fieldset) {
      var days = Array.prototype.map.call(fieldset.querySelectorAll(".hours-day"), function (b) { return b.checked; });
      var group = { days: days, ranges: [] };
      function fail(field, message) { errors.push({ group: fieldset, field: field, message: message }); }
      if (!days.some(Boolean)) fail(fieldset.querySelector(".hours-day"), gettext("请至少勾选一天。"));
      var twice = [];
      days.forEach(function (on, d) { if (on && seen[d]) twice.push(names[d]); if (on) seen[d] = true; });
      if (twice.length) {
        fail(fieldset.querySelector(".hours-day"),
          fmt(gettext("%s 已在上面一组里勾选了，每一天只能在一组里。"), [twice.join(gettext("、"))]));
      }
      var rows = fieldset.querySelectorAll(".hours-range");
      if (!rows.length) fail(fieldset.querySelector(".hours-add-range"), gettext("请添加至少一个营业时段。"));
      Array.prototype.forEach.call(rows, function (row) {
        var startInput = row.querySelector(".hours-start"), endInput = row.querySelector(".hours-end");
        var start = minutes(startInput.value), end = minutes(endInput.value);
        if (start === null) return fail(startInput, gettext("请填写开始时间。"));
        if (end === null) return fail(endInput, gettext("请填写结束时间。"));
        if (end === 0) end = FULL_DAY; // 00:00 as an end: midnight
        if (end === start) return fail(endInput, gettext("开始和结束时间相同，请改正。"));
        if (end < start) {
          return fail(endInput, fmt(gettext("结束时间 %s 早于开始时间 %s，请改正；跨夜营业请直接填写下面的文字。"),
            [clock(end), clock(start)]));
        }
        group.ranges.push([start, end]);
      });
      var sorted = group.ranges.slice().sort(function (a, b) { return a[0] - b[0]; });
      for (var i = 1; i < sorted.length; i++) {
        if (sorted[i][0] < sorted[i - 1][1]) {
          fail(rows[rows.length - 1].querySelector(".hours-start"), gettext("时段之间有重叠，请改正。"));
          break;
        }
      }
      group.ranges = sorted;
      state.groups.push(group);
    });
    if (!state.groups.length) errors.push({ group: null, field: this.addGroupButton, message: gettext("请添加至少一组营业时间。") });
    return { state: state, errors: errors };
  };

  /* Show `errors` (all of them on saving; else only in the groups the clerk has changed). */
  Editor.prototype.showErrors = function (errors, all) {
    var self = this;
    errors = errors.filter(function (e) { return all || (e.group && e.group.hasAttribute("data-touched")); });
    Array.prototype.forEach.call(this.box.querySelectorAll(".hours-error"), function (p) {
      p.hidden = true;
      p.textContent = "";
    });
    Array.prototype.forEach.call(this.box.querySelectorAll("[aria-invalid]"), function (node) {
      node.removeAttribute("aria-invalid");
    });
    this.box.classList.toggle("has-errors", errors.length > 0);
    errors.forEach(function (error) {
      if (error.field) error.field.setAttribute("aria-invalid", "true");
      var p = error.group ? error.group.querySelector(".hours-error") : self.boxError;
      p.hidden = false;
      p.textContent = p.textContent ? p.textContent + " " + error.message : error.message;
    });
  };

  Editor.prototype.sync = function (all) {
    if (!this.supported) return null;
    this.showMode(this.mode());
    var result = this.read();
    this.showErrors(result.errors, all);
    if (!result.errors.length) this.input.value = serialize(result.state);
    return result;
  };

  Editor.prototype.onSubmit = function (event) {
    if (!this.supported || !this.touched) return;
    var result = this.sync(true);
    if (!result.errors.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var first = result.errors[0].field;
    if (first) {
      first.scrollIntoView({ block: "center" });
      first.focus();
    }
  };

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-hours-editor-for]"), function (slot) {
      var input = document.getElementById(slot.getAttribute("data-hours-editor-for"));
      if (input && !slot.hasAttribute("data-ready")) {
        slot.setAttribute("data-ready", "1");
        new Editor(slot, input);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  window.stationsHoursEditor = { parse: parse, serialize: serialize };
})();
