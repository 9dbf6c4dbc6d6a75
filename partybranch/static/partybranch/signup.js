// The sign-up form on an activity page.
// - An error answer: bring the error summary into view and focus it (it is where the rider looks).
// - "Add a family member": clone the formset's empty form and keep TOTAL_FORMS in step.
// - More people than places left: warn before submitting, and offer "只报本人" instead of the waitlist.
// Words come from Django's JavaScript catalog (gettext, interpolate), loaded by base.html.
(function () {

  function reveal(el) {
    if (!el) return;
    el.scrollIntoView({ block: "center" });
    el.focus({ preventScroll: true });
  }

  var errors = document.getElementById("signup-errors");
  var form = document.getElementById("signup");
  var warning = document.getElementById("family-warning");
  if (errors) reveal(errors);
  else if (warning && !warning.hidden) reveal(warning);
  if (!form) return;

  var remaining = parseInt(form.getAttribute("data-remaining"), 10) || 0;
  var submit = document.getElementById("signup-submit");
  var plainLabel = remaining > 0 ? gettext("提交报名") : gettext("加入候补");
  var waitlistOk = document.getElementById("waitlist-ok");
  var warningText = document.getElementById("family-warning-text");

  var add = document.getElementById("add-person");
  var box = document.getElementById("family");
  var total = document.getElementById("id_family-TOTAL_FORMS");

  function people() {
    return 1 + (box ? box.querySelectorAll(".person").length : 0);
  }

  function checkPlaces() {
    if (!warning) return;
    var count = people();
    var tooMany = remaining > 0 && count > remaining;
    warning.hidden = !tooMany;
    waitlistOk.disabled = !tooMany;
    submit.classList.toggle("secondary", tooMany);
    submit.textContent = tooMany ? gettext("全家加入候补") : plainLabel;
    if (tooMany) {
      warningText.textContent = interpolate(
        gettext("只剩 %(left)s 个名额，您这次报名共 %(people)s 人，放不下全家。全家提交将一起进入候补；也可以只报本人，占 1 个名额。"),
        { left: remaining, people: count },
        true
      );
    }
  }

  if (!add || !box || !total) return;
  var template = document.getElementById("person-template");
  var max = parseInt(document.getElementById("id_family-MAX_NUM_FORMS").value, 10);

  function renumber() {
    var persons = box.querySelectorAll(".person");
    persons.forEach(function (fieldset, i) {
      fieldset.querySelectorAll("input, select, label").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/family-(\d+|__prefix__)-/, "family-" + i + "-"));
        });
      });
      var legend = fieldset.querySelector("legend");
      if (legend) legend.textContent = interpolate(gettext("家属 %(n)s"), { n: i + 1 }, true);
    });
    total.value = persons.length;
    add.disabled = persons.length >= max;
    add.setAttribute("aria-disabled", add.disabled ? "true" : "false");
    checkPlaces();
  }

  add.addEventListener("click", function () {
    box.appendChild(template.content.cloneNode(true));
    renumber();
    var inputs = box.querySelectorAll(".person:last-child input");
    if (inputs.length) inputs[0].focus();
  });
  box.addEventListener("click", function (e) {
    if (e.target.classList.contains("remove-person")) {
      e.target.closest(".person").remove();
      renumber();
      add.focus();
    }
  });
  if (box.querySelectorAll(".person").length) renumber();
})();
