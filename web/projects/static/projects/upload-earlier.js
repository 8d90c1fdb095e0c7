// Uploads into this folder that a previous visit left unfinished (tus-js-client keeps their
// URLs in localStorage): the page names them, so the person can choose the same files again
// and go on where they stopped, or forget them (the server deletes their bytes).
(function () {
  "use strict";

  // prefix: the storage keys of this folder's uploads; isCurrent(url): an upload this page runs.
  function Earlier(prefix, headers, isCurrent) {
    this.prefix = prefix;
    this.headers = headers;
    this.isCurrent = isCurrent;
    this.storage = window.tus.defaultOptions.urlStorage;
    this.box = document.getElementById("upload-earlier");
    var self = this;
    document.getElementById("upload-forget").addEventListener("click", function () { self.forget(); });
  }

  Earlier.prototype.find = function () {
    var self = this;
    return this.storage.findAllUploads().then(function (found) {
      return found.filter(function (entry) {
        return entry.urlStorageKey.indexOf(self.prefix) === 0 && !self.isCurrent(entry.uploadUrl);
      });
    });
  };

  Earlier.prototype.show = function () {
    var box = this.box;
    return this.find().then(function (mine) {
      var one = mine.length === 1;
      var names = mine.map(function (entry) { return (entry.metadata || {}).filename || "?"; });
      box.hidden = mine.length === 0;
      document.getElementById("upload-forget").textContent = one ? "Forget it" : "Forget them";
      document.getElementById("upload-earlier-text").textContent = mine.length === 0 ? "" :
        (one ? "An upload" : mine.length + " uploads") + " into this folder did not finish (" +
        names.slice(0, 5).join(", ") + (names.length > 5 ? ", …" : "") + "). Choose or drop the same " +
        (one ? "file" : "files") + " again, with the same choices, to continue where " +
        (one ? "it" : "they") + " stopped.";
    });
  };

  Earlier.prototype.forget = function () {
    var self = this;
    return this.find().then(function (mine) {
      return Promise.all(mine.map(function (entry) {
        return window.tus.Upload.terminate(entry.uploadUrl, { headers: self.headers })
          .catch(function () { return null; })  // gone already: expired or finished
          .then(function () { return self.storage.removeUpload(entry.urlStorageKey); });
      }));
    }).then(function () { return self.show(); });
  };

  window.kubeshowcaseEarlier = Earlier;
}());
