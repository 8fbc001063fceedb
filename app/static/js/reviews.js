// The scoring page: show the recommendation that follows from the picked levels, and mark
// which comments are required (any level below its criterion's pass level). The server
// applies the same rules when the review is sent; without JavaScript nothing is lost.
(function () {
  "use strict";
  var form = document.querySelector("[data-review-form]");
  if (!form) { return; }
  var output = form.querySelector("[data-recommendation]");
  var criteria = Array.prototype.slice.call(form.querySelectorAll("[data-criterion]"));

  function update() {
    var picked = 0;
    var below = 0;
    criteria.forEach(function (fieldset) {
      var checked = fieldset.querySelector("input[type=radio]:checked");
      var hint = fieldset.querySelector("[data-comment-hint]");
      var isBelow = Boolean(checked && checked.hasAttribute("data-below-pass"));
      if (checked) { picked += 1; }
      if (isBelow) { below += 1; }
      if (hint) {
        hint.textContent = isBelow
          ? "Required: this level is below the pass level. Say what would lift it."
          : "Optional at or above the pass level.";
      }
    });
    if (!output) { return; }
    if (picked < criteria.length) {
      output.textContent = "Recommendation: pick a level for every criterion (" + picked + " of " + criteria.length + " so far).";
    } else {
      output.textContent = below ? "Recommendation: not yet (" + below + " below the pass level)." : "Recommendation: pass.";
    }
  }

  form.addEventListener("change", update);
  update();
})();
