/*
 * /verify: drop a badge image on the file field. Progressive enhancement only:
 * the plain file input works without this script. A dropped file is put into
 * the input (so the normal form post sends it) and its name is announced.
 * Loaded with <script defer>; the CSP allows no inline script.
 */
(function () {
  "use strict";

  function setup(zone) {
    var input = zone.querySelector('input[type="file"]');
    var name = zone.querySelector("[data-drop-name]");
    if (!input) return;

    function show(files) {
      if (name) name.textContent = files && files.length ? "Chosen: " + files[0].name : "";
    }

    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("verify-drop--over");
      });
    });
    ["dragleave", "dragend"].forEach(function (type) {
      zone.addEventListener(type, function () {
        zone.classList.remove("verify-drop--over");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("verify-drop--over");
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      try {
        input.files = files;
      } catch (error) {
        return; // very old browsers: the file button still works
      }
      show(files);
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    input.addEventListener("change", function () {
      show(input.files);
    });
    zone.classList.add("verify-drop--enhanced");
  }

  document.querySelectorAll("[data-drop-zone]").forEach(setup);
})();
