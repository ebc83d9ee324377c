// The new lease form: keep the deposit at its legal amount (1 month of rent for housing,
// 2 months for other uses, LAU art. 36.1) while the landlord has not typed one of their own.
(function () {
  "use strict";
  var form = document.getElementById("lease-form");
  if (!form) { return; }
  var rent = form.querySelector("[name=rent]");
  var use = form.querySelector("[name=use]");
  var unit = form.querySelector("[name=unit_id]");
  var deposit = form.querySelector("[name=deposit_amount]");
  if (!rent || !use || !unit || !deposit) { return; }

  function parseAmount(text) {
    var value = (text || "").replace(/[\s€]/g, "");
    if (value.indexOf(",") >= 0) { value = value.replace(/\./g, "").replace(",", "."); }
    return /^\d+(\.\d{1,2})?$/.test(value) ? Number(value) : null;
  }

  function currentUse() {
    if (use.value) { return use.value; }
    var option = unit.options[unit.selectedIndex];
    return option ? option.getAttribute("data-use") : null;
  }

  function legal() {
    var amount = parseAmount(rent.value);
    var kind = currentUse();
    if (amount === null || !kind) { return ""; }
    var months = Number(form.getAttribute("data-deposit-months-" + kind) || 1);
    var text = (Math.round(amount * months * 100) / 100).toFixed(2);
    return rent.value.indexOf(",") >= 0 ? text.replace(".", ",") : text;
  }

  var automatic = !deposit.value || deposit.value === legal();
  function refresh() { if (automatic) { deposit.value = legal(); } }
  deposit.addEventListener("input", function () { automatic = deposit.value === ""; });
  [rent, use, unit].forEach(function (el) {
    el.addEventListener("input", refresh);
    el.addEventListener("change", refresh);
  });
  refresh();
})();
