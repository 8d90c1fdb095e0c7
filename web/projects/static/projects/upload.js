// Sends the upload form with XMLHttpRequest so a progress bar can follow it, then refreshes
// the folder listing in place. Without JavaScript the form still posts normally.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData) { return; }
  var input = form.querySelector("input[type=file]");
  var button = form.querySelector("button[type=submit]");
  var progress = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var maxBytes = Number(form.getAttribute("data-max-upload-bytes")) || 0;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function formatBytes(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i += 1; }
    return (i === 0 ? bytes : bytes.toFixed(1)) + " " + units[i];
  }

  function refreshListing() {
    return fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("entries");
        var current = document.getElementById("entries");
        if (fresh && current) { current.replaceWith(fresh); }
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = Array.prototype.slice.call(input.files);
    if (files.length === 0) { say("Choose at least one file to upload.", true); return; }
    var total = files.reduce(function (sum, file) { return sum + file.size; }, 0);
    if (maxBytes && total > maxBytes) {
      say("These files are " + formatBytes(total) + "; one upload can be at most " + formatBytes(maxBytes) + ".", true);
      return;
    }
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.setRequestHeader("X-CSRFToken", form.elements.csrfmiddlewaretoken.value);
    request.responseType = "json";
    progress.max = total || 1;
    progress.value = 0;
    progress.hidden = false;
    button.disabled = true;
    say("Uploading " + files.length + (files.length === 1 ? " file…" : " files…"));

    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { progress.max = e.total; progress.value = e.loaded; }
    });
    request.upload.addEventListener("load", function () {
      progress.value = progress.max;
      say("Sent; saving on the server…");
    });
    request.addEventListener("load", function () {
      button.disabled = false;
      var answer = request.response || {};
      if (request.status === 200 && answer.ok) {
        progress.value = progress.max;
        form.reset();
        refreshListing().then(function () { say(answer.message); });
      } else {
        say(answer.message || "The upload failed (the session may have ended); reload the page and try again.", true);
      }
    });
    request.addEventListener("error", function () {
      button.disabled = false;
      say("The upload failed: the connection was lost. Nothing was saved.", true);
    });
    request.send(new FormData(form));
  });
}());
