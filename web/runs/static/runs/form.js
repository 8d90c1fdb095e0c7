// The run form's helpers: a picked project file fills the glob field; "other number" focuses
// the number input next to a choice.
document.addEventListener("change", function (event) {
  "use strict";
  var target = event.target;
  var fills = target.getAttribute && target.getAttribute("data-fills");
  if (fills && target.value) {
    document.getElementById(fills).value = target.value;
  }
  var other = target.getAttribute && target.getAttribute("data-other-number");
  if (other && target.value === "__number__") {
    document.getElementById(other).focus();
  }
});
document.addEventListener("input", function (event) {
  "use strict";
  // Typing a number picks "other number" in the select beside it.
  var select = event.target.parentElement && event.target.parentElement.querySelector("select[data-other-number='" + event.target.id + "']");
  if (select && event.target.value !== "") { select.value = "__number__"; }
});
