// Uploads picked or dropped files into this folder through tus (the vendored tus-js-client):
// one resumable upload per file, a few at a time, with progress, speed and time left,
// pause/resume, retries after a dropped connection and resuming after a reload. The server
// lands each finished file and says how it went at its upload URL (JSON). Without
// JavaScript, tus or the page's tus endpoint, the form posts the files in one request.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var endpoint = form && form.getAttribute("data-tus-endpoint");
  if (!endpoint || !window.tus || !window.tus.isSupported || !window.kubeshowcasePicking ||
      !window.kubeshowcaseFigures || !window.kubeshowcaseEarlier) { return; }

  var picking = window.kubeshowcasePicking;
  var formatBytes = window.kubeshowcaseFigures.formatBytes;
  var formatDuration = window.kubeshowcaseFigures.formatDuration;
  var endpointUrl = new URL(endpoint, window.location.href).href;
  var chunkBytes = Number(form.getAttribute("data-tus-chunk-bytes")) || 50 * 1024 * 1024;
  // The CSRF cookie is HttpOnly: the form's token goes in the header Django reads.
  var headers = { "X-CSRFToken": form.elements.csrfmiddlewaretoken.value };
  // Lab Wi-Fi drops for minutes: about ten minutes of retries, counted again after progress.
  var RETRY_DELAYS = [0, 1000, 2000, 3000, 5000, 10000, 15000, 20000, 30000,
    60000, 60000, 60000, 60000, 60000, 60000, 60000, 60000];
  var PARALLEL = 3;
  var storagePrefix = "tus::kubeshowcase|" + endpointUrl + "|";

  var filesInput = document.getElementById("upload-files");
  var folderInput = document.getElementById("upload-folder");
  var unpack = document.getElementById("unpack-zips");
  var replace = document.getElementById("replace-existing");
  var drop = document.getElementById("upload-drop");
  var progress = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var queue = document.getElementById("upload-queue");
  var pauseAll = document.getElementById("upload-pause-all");
  var resumeAll = document.getElementById("upload-resume-all");
  var tasks = [];
  var landedPaths = 0;
  var ticker = null;

  filesInput.required = false;  // a folder or a drop is enough
  [drop, document.getElementById("upload-folder-choice"),
    document.getElementById("upload-replace-choice")].forEach(function (el) { el.hidden = false; });
  document.getElementById("upload-replace-hint").textContent =
    "Existing files are kept unless you choose to replace them.";

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) { made.className = className; }
    if (text) { made.textContent = text; }
    return made;
  }

  function isActive(task) { return task.state === "sending" || task.state === "retrying"; }
  // Not over yet: a failed upload (the connection never came back) can still be resumed.
  function isOpen(task) { return ["landed", "refused", "cancelled"].indexOf(task.state) === -1; }

  // --- one file's row -------------------------------------------------------------------
  function addTask(item) {
    var task = {
      speed: new window.kubeshowcaseFigures.Speedometer(),
      file: item.file, path: item.path, sent: 0, state: "waiting", upload: null,
      unpack: unpack.checked && /\.zip$/i.test(item.path), replace: replace.checked,
    };
    task.row = element("li", "upload-item");
    task.row.setAttribute("data-path", item.path);
    task.name = element("span", "name", item.path);
    task.figures = element("span", "figures", formatBytes(item.file.size) + " · waiting");
    task.bar = element("progress");
    task.bar.max = item.file.size || 1;
    task.bar.value = 0;
    task.bar.setAttribute("aria-label", "Progress of " + item.path);
    task.note = element("span", "note");
    task.toggle = element("button", "small", "Pause");
    task.toggle.type = "button";
    task.toggle.setAttribute("aria-label", "Pause " + item.path);
    task.toggle.addEventListener("click", function () {
      if (task.state === "paused" || task.state === "failed") { resume(task); } else { pause(task); }
    });
    task.cancel = element("button", "small danger", "Cancel");
    task.cancel.type = "button";
    task.cancel.setAttribute("aria-label", "Cancel " + item.path);
    task.cancel.addEventListener("click", function () { cancel(task); });
    [task.name, task.figures, task.toggle, task.cancel, task.bar, task.note].forEach(function (part) {
      task.row.appendChild(part);
    });
    queue.appendChild(task.row);
    tasks.push(task);
    return task;
  }

  function setToggle(task, label) {
    task.toggle.hidden = !label;
    if (label) {
      task.toggle.textContent = label;
      task.toggle.setAttribute("aria-label", label + " " + task.path);
    }
  }

  function showState(task, text, isError) {
    task.note.textContent = text;
    task.row.classList.toggle("error", Boolean(isError));
  }

  function endTask(task, state, text, isError) {
    task.state = state;
    setToggle(task, null);
    task.cancel.hidden = true;
    showState(task, text, isError);
    render();
    pump();
    showEarlier();
  }

  // --- tus --------------------------------------------------------------------------------
  function fingerprintOf(task) {
    return ["kubeshowcase|" + endpointUrl, task.path, task.file.size, task.file.lastModified,
      task.unpack ? "unpack" : "", task.replace ? "replace" : ""].join("|");
  }

  function serverMessage(error) {
    var response = error.originalResponse;
    if (!response) { return ""; }
    var body = (response.getBody() || "").trim();
    if (body && body.length < 1000 && body.charAt(0) !== "<") { return body; }
    if (response.getStatus() === 403) {  // Django's own page: the session or its CSRF token ended
      return "Not allowed: the session may have ended. Reload the page, sign in and try again.";
    }
    return "The server answered " + response.getStatus() + ".";
  }

  function shouldRetry(task, error, attempt) {
    var response = error.originalResponse;
    var statusCode = response ? response.getStatus() : 0;
    var method = error.originalRequest ? error.originalRequest.getMethod() : "";
    // 409 when creating is a name clash and 4xx a refusal: asking again changes nothing. A 409
    // on PATCH is an offset mismatch and 423 a write still ending: a retry asks for the offset.
    if (statusCode >= 400 && statusCode < 500 &&
        !(statusCode === 423 || (statusCode === 409 && method !== "POST"))) { return false; }
    if (statusCode === 507) { return false; }  // the storage is full: the server refused it
    // tus-js-client's default gives up while navigator.onLine is false: a Wi-Fi drop is
    // exactly when we want to keep trying.
    var delay = RETRY_DELAYS[attempt] || 0;
    task.state = "retrying";
    showState(task, (statusCode ? "The server answered " + statusCode : "The connection was lost") +
      "; trying again" + (delay >= 1000 ? " in " + formatDuration(delay / 1000) : "") + "…");
    render();
    return true;
  }

  function startTask(task) {
    task.state = "sending";
    task.speed.reset();
    setToggle(task, "Pause");
    showState(task, "");
    if (task.upload) { task.upload.start(); return; }
    var metadata = { filename: task.path };
    if (task.unpack) { metadata.unpack = "1"; }
    if (task.replace) { metadata.replace = "1"; }
    task.upload = new window.tus.Upload(task.file, {
      endpoint: endpoint,
      chunkSize: chunkBytes,
      retryDelays: RETRY_DELAYS,
      headers: headers,
      metadata: metadata,
      fingerprint: function () { return Promise.resolve(fingerprintOf(task)); },
      removeFingerprintOnSuccess: true,
      onShouldRetry: function (error, attempt) { return shouldRetry(task, error, attempt); },
      onProgress: function (sent) {
        if (task.state === "retrying") { task.state = "sending"; showState(task, ""); }
        task.sent = sent;
        task.speed.add(sent);
      },
      onSuccess: function () { finish(task, 0); },
      onError: function (error) { failed(task, error); },
    });
    task.upload.findPreviousUploads().then(function (previous) {
      if (previous.length > 0) {
        task.upload.resumeFromPreviousUpload(previous[0]);
        showState(task, "Continuing the earlier upload…");
        showEarlier();
      }
      if (task.state === "sending") { task.upload.start(); }
    });
  }

  function failed(task, error) {
    var message = serverMessage(error);
    var statusCode = error.originalResponse ? error.originalResponse.getStatus() : 0;
    if (!message || (statusCode >= 500 && statusCode !== 507)) {
      task.state = "failed";
      setToggle(task, "Resume");
      showState(task, (message ? message + " " : "The connection to the server was lost. ") +
        "Resume continues where it stopped.", true);
      render();
      pump();
      return;
    }
    endTask(task, "refused", message, true);
  }

  // The server lands the file when its last bytes arrive; its upload URL says how that went.
  function finish(task, attempt) {
    task.state = "finishing";
    task.sent = task.file.size;
    setToggle(task, null);
    task.cancel.hidden = true;
    showState(task, "Sent; saving on the server…");
    render();
    pump();
    fetch(task.upload.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (answer) {
        if (answer.state === "landed") {
          landedPaths += (answer.paths || []).length || 1;
          endTask(task, "landed", answer.message || "Uploaded.", false);
          refreshListingSoon();
        } else if (answer.state === "refused" || answer.state === "expired") {
          endTask(task, "refused", answer.message || "The server did not keep this file.", true);
        } else {
          window.setTimeout(function () { finish(task, 0); }, 1000);  // still landing
        }
      })
      .catch(function () {
        window.setTimeout(function () { finish(task, attempt + 1); },
          RETRY_DELAYS[Math.min(attempt + 1, RETRY_DELAYS.length - 1)]);
      });
  }

  function pause(task) {
    if (task.state === "waiting") { task.state = "paused"; } else if (isActive(task)) {
      task.state = "paused";
      task.upload.abort();
    } else { return; }
    setToggle(task, "Resume");
    showState(task, "Paused.");
    render();
    pump();
  }

  function resume(task) {
    if (task.state !== "paused" && task.state !== "failed") { return; }
    task.state = "waiting";
    setToggle(task, "Pause");
    showState(task, "");
    render();
    pump();
  }

  function cancel(task) {
    if (task.upload) { task.upload.abort(true).catch(function () { return null; }); }
    endTask(task, "cancelled", "Cancelled.", false);
  }

  function pump() {
    var running = tasks.filter(isActive).length;
    tasks.forEach(function (task) {
      if (task.state === "waiting" && running < PARALLEL) { running += 1; startTask(task); }
    });
    if (tasks.some(isOpen)) {
      if (ticker === null) { ticker = window.setInterval(render, 500); }
    } else if (ticker !== null) {
      window.clearInterval(ticker);
      ticker = null;
    }
  }

  // --- figures ------------------------------------------------------------------------------
  function render() {
    var open = tasks.filter(isOpen);
    var total = 0;
    var sent = 0;
    var speed = 0;
    tasks.forEach(function (task) {
      if (task.state !== "cancelled") {
        total += task.file.size;
        sent += task.sent;
      }
      task.bar.value = task.sent;
      var figures = formatBytes(task.sent) + " of " + formatBytes(task.file.size);
      if (task.state === "sending") {
        var own = task.speed.perSecond();
        speed += own;
        figures += " · " + Math.floor(100 * task.sent / (task.file.size || 1)) + " %";
        if (own > 0) {
          figures += " · " + formatBytes(own) + "/s · " + formatDuration((task.file.size - task.sent) / own) + " left";
        }
      }
      task.figures.textContent = figures;
    });
    progress.hidden = tasks.length === 0;
    progress.max = total || 1;
    progress.value = sent;
    var paused = open.filter(function (task) { return task.state === "paused"; }).length;
    var stopped = open.filter(function (task) { return task.state === "failed"; }).length;
    pauseAll.hidden = open.length === paused + stopped;
    resumeAll.hidden = paused + stopped === 0;
    if (open.length > 0) {
      var text = (tasks.length === 1 ? "Uploading 1 file: " : "Uploading " + tasks.length + " files, " +
        open.length + " to go: ") + formatBytes(sent) + " of " + formatBytes(total);
      if (speed > 0) { text += " · " + formatBytes(speed) + "/s · about " + formatDuration((total - sent) / speed) + " left"; }
      if (paused) { text += " · " + paused + " paused"; }
      if (stopped) { text += " · " + stopped + " stopped: the connection was lost"; }
      say(text, stopped > 0);
      return;
    }
    var refused = tasks.filter(function (task) { return task.state === "refused"; });
    var text2 = landedPaths > 0 ? "Uploaded " + landedPaths + (landedPaths === 1 ? " file." : " files.") : "";
    if (refused.length === 1) {
      var why = refused[0].note.textContent;
      var named = why.indexOf(refused[0].path.split("/").pop()) !== -1;
      text2 += (text2 ? " " : "") + (named ? why : refused[0].path + ": " + why);
    } else if (refused.length > 1) {
      text2 += (text2 ? " " : "") + refused.length + " files were not uploaded: the list says why.";
    }
    say(text2, refused.length > 0);
  }

  // --- the listing and the page -------------------------------------------------------------
  var refreshTimer = null;
  function refreshListingSoon() {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("entries");
          var current = document.getElementById("entries");
          if (fresh && current) { current.replaceWith(fresh); }
        });
    }, 300);
  }

  function begin(items) {
    if (items.length === 0) { say("Choose or drop at least one file to upload.", true); return; }
    if (!tasks.some(isOpen)) {  // a new batch: the finished rows and counts go
      tasks = [];
      landedPaths = 0;
      queue.textContent = "";
    }
    items.forEach(addTask);
    render();
    pump();
    showEarlier();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var items = picking.fromInput(filesInput).concat(folderInput ? picking.fromInput(folderInput) : []);
    filesInput.value = "";
    if (folderInput) { folderInput.value = ""; }
    begin(items);
  });

  pauseAll.addEventListener("click", function () { tasks.forEach(pause); });
  resumeAll.addEventListener("click", function () { tasks.forEach(resume); });

  form.addEventListener("dragover", function (event) {
    event.preventDefault();
    drop.classList.add("over");
  });
  form.addEventListener("dragleave", function (event) {
    if (!form.contains(event.relatedTarget)) { drop.classList.remove("over"); }
  });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    drop.classList.remove("over");
    picking.fromDrop(event.dataTransfer).then(begin, function () {
      say("The dropped files could not be read; choose them with the buttons instead.", true);
    });
  });
  // A drop that misses the form would open the file in place of this page (and its uploads).
  ["dragover", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) { event.preventDefault(); });
  });

  window.addEventListener("beforeunload", function (event) {
    if (tasks.some(function (task) { return isActive(task) || task.state === "waiting"; })) {
      event.preventDefault();
      event.returnValue = "";  // uploads resume after a reload, but only once the files are chosen again
    }
  });
  window.addEventListener("online", function () {
    tasks.forEach(function (task) { if (task.state === "failed") { resume(task); } });
  });

  var earlier = new window.kubeshowcaseEarlier(storagePrefix, headers, function (url) {
    return tasks.some(function (task) { return task.upload && task.upload.url === url; });
  });
  function showEarlier() { earlier.show(); }
  showEarlier();
}());
