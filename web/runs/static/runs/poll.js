// Keeps elements marked data-poll-url fresh without reloading the page: every data-poll-ms it
// fetches the URL and swaps in the answer (HTML or text); an X-Poll-Done header ends polling.
// It sends the last answer's ETag as If-None-Match, so an unchanged fragment costs a 304 and
// no rendering; ages (<time datetime=... data-age>) tick here, not on the server.
(function () {
  "use strict";
  var UNITS = [["year", 365 * 86400], ["month", 30 * 86400], ["week", 7 * 86400],
               ["day", 86400], ["hour", 3600], ["minute", 60]];
  function plural(count, unit) { return count + "\u00a0" + unit + (count === 1 ? "" : "s"); }
  // As Django's timesince: the largest unit that is not zero, and the next one if not zero.
  function since(seconds) {
    for (var i = 0; i < UNITS.length; i++) {
      var count = Math.floor(seconds / UNITS[i][1]);
      if (count > 0) {
        var text = plural(count, UNITS[i][0]);
        var next = UNITS[i + 1];
        var rest = next ? Math.floor((seconds - count * UNITS[i][1]) / next[1]) : 0;
        return rest > 0 ? text + ", " + plural(rest, next[0]) : text;
      }
    }
    return plural(0, "minute");
  }
  function tickAges(root) {
    Array.prototype.forEach.call(root.querySelectorAll("time[data-age]"), function (time) {
      var at = Date.parse(time.getAttribute("datetime"));
      if (!isNaN(at)) { time.textContent = since(Math.max(0, (Date.now() - at) / 1000)); }
    });
  }
  function poll(element) {
    var url = element.getAttribute("data-poll-url");
    var mode = element.getAttribute("data-poll-mode") || "html";
    var every = parseInt(element.getAttribute("data-poll-ms") || "2000", 10);
    var busy = false;
    var timer = null;
    var etag = null;
    function tick() {
      if (busy || document.hidden) { return; }
      busy = true;
      var headers = {"X-Requested-With": "fetch"};
      if (etag) { headers["If-None-Match"] = etag; }
      fetch(url, {credentials: "same-origin", headers: headers, cache: "no-store"})
        .then(function (response) {
          return response.text().then(function (body) {
            if (response.status === 304) { tickAges(element); return; }
            if (!response.ok) { return; }
            etag = response.headers.get("ETag");
            if (mode === "text") {
              var atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 20;
              if (element.textContent !== body) { element.textContent = body || "(no output yet)"; }
              if (atBottom) { element.scrollTop = element.scrollHeight; }
            } else if (element.innerHTML !== body) {
              element.innerHTML = body;
            }
            tickAges(element);
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
