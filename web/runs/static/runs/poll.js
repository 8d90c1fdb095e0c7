// Keeps elements marked data-poll-url fresh without reloading the page: every data-poll-ms it
// fetches the URL and swaps in the answer (HTML or text); an X-Poll-Done header ends polling.
(function () {
  "use strict";
  function poll(element) {
    var url = element.getAttribute("data-poll-url");
    var mode = element.getAttribute("data-poll-mode") || "html";
    var every = parseInt(element.getAttribute("data-poll-ms") || "2000", 10);
    var busy = false;
    var timer = null;
    function tick() {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
        .then(function (response) {
          return response.text().then(function (body) {
            if (!response.ok) { return; }
            if (mode === "text") {
              var atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 20;
              if (element.textContent !== body) { element.textContent = body || "(no output yet)"; }
              if (atBottom) { element.scrollTop = element.scrollHeight; }
            } else if (element.innerHTML !== body) {
              element.innerHTML = body;
            }
            if (response.headers.get("X-Poll-Done") === "1") { window.clearInterval(timer); }
          });
        })
        .catch(function () { /* a missed refresh; the next one will try again */ })
        .then(function () { busy = false; });
    }
    tick();
    timer = window.setInterval(tick, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll-url]"), poll);
  });
})();
