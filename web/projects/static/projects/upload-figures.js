// How the upload page words sizes, durations and speeds (bytes per second over a few seconds).
(function () {
  "use strict";
  var SPEED_WINDOW_MS = 8000;

  function formatBytes(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i += 1; }
    return (i === 0 ? bytes : bytes.toFixed(1)) + " " + units[i];
  }

  function formatDuration(seconds) {
    seconds = Math.ceil(seconds);
    if (seconds < 60) { return seconds + " s"; }
    if (seconds < 3600) { return Math.ceil(seconds / 60) + " min"; }
    var minutes = Math.round(seconds / 60);
    return Math.floor(minutes / 60) + " h " + String(minutes % 60).padStart(2, "0") + " min";
  }

  // A transfer's recent progress: add(bytesSoFar) as it goes, perSecond() over the window.
  function Speedometer() { this.samples = []; }
  Speedometer.prototype.reset = function () { this.samples = []; };
  Speedometer.prototype.add = function (sent) {
    var now = Date.now();
    this.samples.push({ at: now, sent: sent });
    while (this.samples.length > 2 && now - this.samples[0].at > SPEED_WINDOW_MS) { this.samples.shift(); }
  };
  Speedometer.prototype.perSecond = function () {
    if (this.samples.length < 2) { return 0; }
    var first = this.samples[0];
    var last = this.samples[this.samples.length - 1];
    var seconds = (last.at - first.at) / 1000;
    return seconds >= 0.5 ? Math.max(0, last.sent - first.sent) / seconds : 0;
  };

  window.kubeshowcaseFigures = {
    formatBytes: formatBytes, formatDuration: formatDuration, Speedometer: Speedometer,
  };
}());
