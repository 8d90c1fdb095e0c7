// The files a person picked or dropped, each with its path relative to the target folder:
// a picked or dropped folder keeps its own name and sub-folders ("plate1/A01.tif").
(function () {
  "use strict";

  function picked(file, path) { return { file: file, path: path }; }

  // An <input type=file> (with webkitdirectory, each file knows its path inside the folder).
  function fromInput(input) {
    return Array.prototype.map.call(input.files, function (file) {
      return picked(file, file.webkitRelativePath || file.name);
    });
  }

  // A directory reader answers in batches (Chromium: 100 entries) until an empty one.
  function readAllEntries(reader) {
    return new Promise(function (resolve, reject) {
      var entries = [];
      (function readBatch() {
        reader.readEntries(function (batch) {
          if (batch.length === 0) { resolve(entries); return; }
          entries = entries.concat(Array.prototype.slice.call(batch));
          readBatch();
        }, reject);
      }());
    });
  }

  function walk(entry, prefix) {
    var path = prefix + entry.name;
    if (entry.isFile) {
      return new Promise(function (resolve, reject) {
        entry.file(function (file) { resolve([picked(file, path)]); }, reject);
      });
    }
    if (entry.isDirectory) {
      return readAllEntries(entry.createReader()).then(function (children) {
        return Promise.all(children.map(function (child) { return walk(child, path + "/"); }));
      }).then(function (lists) { return [].concat.apply([], lists); });
    }
    return Promise.resolve([]);
  }

  // A drop's DataTransfer: folders through webkitGetAsEntry, read before the event ends
  // (the items are gone after it); plain files where the browser gives no entries.
  function fromDrop(dataTransfer) {
    var items = Array.prototype.slice.call(dataTransfer.items || []);
    var entries = items.map(function (item) {
      return item.kind === "file" && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    });
    if (entries.length === 0 || entries.some(function (entry) { return entry === null; })) {
      var files = Array.prototype.map.call(dataTransfer.files, function (file) {
        return picked(file, file.name);
      });
      return Promise.resolve(files);
    }
    return Promise.all(entries.map(function (entry) { return walk(entry, ""); }))
      .then(function (lists) { return [].concat.apply([], lists); });
  }

  window.kubeshowcasePicking = { fromInput: fromInput, fromDrop: fromDrop };
}());
