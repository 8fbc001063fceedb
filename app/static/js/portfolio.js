// Portfolio: "Copy" buttons next to the share link and the embed code. Without JavaScript the
// fields stay selectable and the buttons stay hidden, so nothing depends on this file.
(function () {
  "use strict";
  var status = document.querySelector("[data-copy-status]");
  function say(text) {
    if (status) { status.textContent = text; }
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.value;
      var done = function () { say("Copied to the clipboard."); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { source.select(); say("Press Ctrl+C to copy."); });
      } else {
        source.select();
        try { document.execCommand("copy"); done(); } catch (e) { say("Press Ctrl+C to copy."); }
      }
    });
  });
})();
