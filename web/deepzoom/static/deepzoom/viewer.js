// The deep-zoom viewer (deepzoom/viewer.html): OpenSeadragon over the page's DZI tiles; an
// overlay, when the page names one, as a second tiled image over the first, toggled and faded.
(function () {
  "use strict";

  function start() {
    var element = document.getElementById("deepzoom");
    var config = JSON.parse(element.dataset.config);
    var sources = [{ tileSource: config.image }];
    if (config.overlay) {
      sources.push({ tileSource: config.overlay, opacity: 1 });
    }
    var viewer = OpenSeadragon({
      element: element,
      prefixUrl: "",
      navImages: config.navImages,
      tileSources: sources,
      drawer: "canvas",
      showNavigator: true,
      maxZoomPixelRatio: 4,
      crossOriginPolicy: false
    });
    var toggle = document.getElementById("deepzoom-overlay");
    var opacity = document.getElementById("deepzoom-opacity");
    if (!toggle || !opacity) {
      return;
    }
    function apply() {
      var overlay = viewer.world.getItemAt(1);
      if (overlay) {
        overlay.setOpacity(toggle.checked ? Number(opacity.value) / 100 : 0);
      }
      opacity.disabled = !toggle.checked;
    }
    toggle.addEventListener("change", apply);
    opacity.addEventListener("input", apply);
    viewer.world.addHandler("add-item", apply);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
