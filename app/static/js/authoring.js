/*
 * Authoring pages: live Markdown preview.
 *
 * A textarea with data-markdown-preview="<region id>" sends its text, a moment
 * after typing stops, to the preview endpoint named by the region's
 * data-preview-url; the answer is the sanitized HTML the teacher's page would
 * show (rendered on the server by the same renderer), so the preview never
 * differs from what teachers see. Without JavaScript the page works and the
 * preview shows the saved text. Loaded with <script defer>; no inline script.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 400;

  function csrfToken(form) {
    var field = form.querySelector('input[name$="csrf_token"]');
    return field ? field.value : "";
  }

  function attach(textarea) {
    var region = document.getElementById(textarea.getAttribute("data-markdown-preview"));
    var form = textarea.form;
    if (!region || !form || !window.fetch) return;
    var url = region.getAttribute("data-preview-url");
    var timer = null;
    var sent = 0;

    function refresh() {
      var mine = ++sent;
      var body = new URLSearchParams();
      body.set("source", textarea.value);
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" },
        body: body
      }).then(function (response) {
        if (!response.ok) throw new Error("preview failed");
        return response.json();
      }).then(function (data) {
        if (mine === sent) region.innerHTML = data.html; // sanitized on the server
      }).catch(function () {
        if (mine === sent) region.textContent = "The preview is not available right now; your text is safe.";
      });
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, DEBOUNCE_MS);
    });
    refresh();
  }

  document.querySelectorAll("textarea[data-markdown-preview]").forEach(attach);
})();
