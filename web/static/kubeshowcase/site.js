// Asks before forms marked data-confirm (deletions) are sent.
document.addEventListener("submit", function (event) {
  "use strict";
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
