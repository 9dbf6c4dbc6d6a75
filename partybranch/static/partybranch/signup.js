// "Add a family member": clone the formset's empty form and keep TOTAL_FORMS in step.
(function () {
  var add = document.getElementById("add-person");
  if (!add) return;
  var box = document.getElementById("family");
  var template = document.getElementById("person-template");
  var total = document.getElementById("id_family-TOTAL_FORMS");
  var max = parseInt(document.getElementById("id_family-MAX_NUM_FORMS").value, 10);
  function renumber() {
    var people = box.querySelectorAll(".person");
    people.forEach(function (fieldset, i) {
      fieldset.querySelectorAll("input, select, label").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/family-(\d+|__prefix__)-/, "family-" + i + "-"));
        });
      });
    });
    total.value = people.length;
    add.disabled = people.length >= max;
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
    }
  });
})();
