/*
 * The attempt page: autosave, a data table that grows, and upload size checks.
 *
 * Everything here is an enhancement: without JavaScript every part saves with
 * its own button. Text is never thrown away: a failed save keeps what was typed
 * on the page, says so, and tries again; leaving the page with unsaved typing
 * asks first. Loaded with <script defer>; the CSP allows no inline script.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 1500;
  var RETRY_MS = [4000, 8000, 15000, 30000, 60000];
  var MAX_ROWS = 20;
  var states = new Map(); // form -> {timer, inflight, dirty, version, retries, lastError}

  function csrfToken(form) {
    var field = form.querySelector('input[name$="csrf_token"]');
    return field ? field.value : "";
  }

  function statusOf(form) {
    return form.querySelector("[data-save-status]");
  }

  function say(form, text, kind) {
    var el = statusOf(form);
    if (!el) return;
    el.textContent = text;
    el.className = "save-status" + (kind ? " save-status--" + kind : "");
  }

  function clock(iso) {
    var when = iso ? new Date(iso) : new Date();
    if (isNaN(when.getTime())) when = new Date();
    return when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function state(form) {
    if (!states.has(form)) {
      states.set(form, { timer: null, inflight: null, dirty: false, version: 0, retries: 0, lastError: null });
    }
    return states.get(form);
  }

  function schedule(form, delay) {
    var st = state(form);
    clearTimeout(st.timer);
    st.timer = setTimeout(function () { save(form); }, delay);
  }

  function changed(form) {
    var st = state(form);
    st.dirty = true;
    st.version += 1;
    st.retries = 0;
    if (!st.lastError) say(form, "Not saved yet", "pending");
    schedule(form, DEBOUNCE_MS);
  }

  /* Save one form in the background. Resolves true when what is on the page is saved. */
  function save(form) {
    var st = state(form);
    clearTimeout(st.timer);
    if (st.inflight) {
      return st.inflight.then(function () { return st.dirty ? save(form) : true; });
    }
    if (!st.dirty) return Promise.resolve(true);
    var sentVersion = st.version;
    say(form, "Saving…", "pending");
    st.inflight = fetch(form.dataset.autosave, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.redirected && response.url.indexOf("/login") !== -1) {
        return { ok: false, retry: false, message: "Not saved: your session ended. Log in again in a new tab, then come back; your text is still here." };
      }
      if (type.indexOf("application/json") === -1) {
        return { ok: false, retry: true };
      }
      return response.json().then(function (body) {
        if (response.ok) return { ok: true, savedAt: body.saved_at };
        var message = body && body.error ? body.error.message : "";
        var retry = response.status >= 500 || response.status === 429;
        return { ok: false, retry: retry, message: retry ? null : "Not saved: " + message, fields: body && body.error ? body.error.fields : null };
      });
    }).catch(function () {
      return { ok: false, retry: true };
    }).then(function (result) {
      st.inflight = null;
      if (result.ok) {
        st.lastError = null;
        st.retries = 0;
        markCells(form, null);
        if (st.version === sentVersion) {
          st.dirty = false;
          say(form, "Saved at " + clock(result.savedAt), "saved");
          return true;
        }
        return save(form); // she kept typing while we saved
      }
      markCells(form, result.fields);
      if (result.retry) {
        st.lastError = "retry";
        say(form, "Not saved — will retry", "error");
        var wait = RETRY_MS[Math.min(st.retries, RETRY_MS.length - 1)];
        st.retries += 1;
        schedule(form, wait);
      } else {
        st.lastError = "invalid";
        say(form, result.message, "error");
      }
      return false;
    });
    return st.inflight;
  }

  /* Highlight the data-table cells an autosave refused (fields "rows.<i>.<column>"). */
  function markCells(form, fields) {
    if (!form.classList.contains("data-form")) return;
    var rows = form.querySelectorAll("tr[data-row]");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[data-col]").forEach(function (input) {
        var col = input.dataset.col === "direction" ? "higher_is_better" : input.dataset.col;
        if (fields && fields["rows." + index + "." + col]) {
          input.setAttribute("aria-invalid", "true");
        } else {
          input.removeAttribute("aria-invalid");
        }
      });
    });
  }

  function dirtyForms() {
    var list = [];
    states.forEach(function (st, form) { if (st.dirty || st.inflight) list.push(form); });
    return list;
  }

  function flushAll(except) {
    return Promise.all(dirtyForms().filter(function (f) { return f !== except; }).map(save)).then(function (results) {
      return results.every(Boolean);
    });
  }

  /* Before any other POST on the page (upload, add link, remove, submit, a part's own
     Save button, log out), save the typing in the other parts first. */
  function guardSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.dataset.flushing === "done") return;
    if ((form.method || "").toLowerCase() !== "post") return;
    if (!checkFileSize(form)) {
      event.preventDefault();
      return;
    }
    var pending = dirtyForms().filter(function (f) { return f !== form; });
    if (form.dataset.autosave) {
      // Submitting this form saves it; it no longer needs a background save.
      var own = state(form);
      clearTimeout(own.timer);
      own.dirty = false;
    }
    if (!pending.length) return;
    event.preventDefault();
    var submitter = event.submitter;
    if (submitter) submitter.disabled = true;
    flushAll(form).then(function (ok) {
      if (submitter) submitter.disabled = false;
      if (!ok && !window.confirm("Some of what you typed in another part is not saved yet. Continue anyway and lose it?")) {
        return;
      }
      form.dataset.flushing = "done";
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  /* --- uploads: refuse a file over the limit before sending it --- */

  function checkFileSize(form) {
    var input = form.querySelector("input[type=file][data-max-bytes]");
    if (!input || !input.files || !input.files.length) return true;
    var max = parseInt(input.dataset.maxBytes, 10);
    var file = input.files[0];
    var errorId = input.id + "-size-error";
    var existing = document.getElementById(errorId);
    if (existing) existing.remove();
    if (!max || file.size <= max) {
      input.removeAttribute("aria-invalid");
      return true;
    }
    var error = document.createElement("span");
    error.className = "field__error";
    error.id = errorId;
    error.textContent = "“" + file.name + "” is larger than the " + input.dataset.maxLabel + " limit. Make it smaller and try again.";
    input.parentNode.insertBefore(error, input);
    input.setAttribute("aria-invalid", "true");
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(errorId) === -1) described.push(errorId);
    input.setAttribute("aria-describedby", described.join(" "));
    input.focus();
    return false;
  }

  /* --- data tables: live change column and "Add a row" --- */

  function parseNumber(text) {
    var value = String(text || "").trim().replace(/%$/, "").trim();
    if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(value)) value = value.replace(/,/g, "");
    if (value === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return null;
    var number = parseFloat(value);
    return isFinite(number) ? number : null;
  }

  function formatNumber(value) {
    return Math.abs(value - Math.round(value)) < 1e-9
      ? Math.round(value).toLocaleString()
      : value.toLocaleString(undefined, { maximumFractionDigits: 2 });
  }

  function updateChange(row) {
    var cell = row.querySelector("[data-change]");
    if (!cell) return;
    var before = parseNumber((row.querySelector("[data-col=before]") || {}).value);
    var after = parseNumber((row.querySelector("[data-col=after]") || {}).value);
    var direction = (row.querySelector("[data-col=direction]") || {}).value;
    cell.textContent = "";
    if (before === null || after === null) return;
    var diff = after - before;
    var sign = diff > 0 ? "+" : (diff < 0 ? "\u2212" : "\u00b1");
    var text = sign + formatNumber(Math.abs(diff));
    if (before !== 0) text += " (" + sign + Math.round(Math.abs(diff) / Math.abs(before) * 100) + "%)";
    var verdict = diff === 0 ? "no change" : ((diff > 0) === (direction !== "lower") ? "improved" : "worse");
    cell.appendChild(document.createTextNode(text + " "));
    var badge = document.createElement("span");
    badge.className = "change change--" + verdict.replace(" ", "-");
    badge.textContent = verdict;
    cell.appendChild(badge);
  }

  function addRow(form, button) {
    var body = form.querySelector("[data-rows]");
    var rows = body.querySelectorAll("tr[data-row]");
    if (!rows.length || rows.length >= MAX_ROWS) return;
    var index = rows.length;
    var clone = rows[rows.length - 1].cloneNode(true);
    clone.querySelectorAll("input, select").forEach(function (input) {
      ["name", "id"].forEach(function (attr) {
        var value = input.getAttribute(attr);
        if (value) input.setAttribute(attr, value.replace(/-rows-\d+-/, "-rows-" + index + "-"));
      });
      var label = input.getAttribute("aria-label");
      if (label) input.setAttribute("aria-label", label.replace(/^Row \d+/, "Row " + (index + 1)));
      input.removeAttribute("aria-invalid");
      if (input.tagName === "SELECT") {
        input.selectedIndex = 0;
      } else {
        input.value = "";
      }
    });
    var change = clone.querySelector("[data-change]");
    if (change) change.textContent = "";
    body.appendChild(clone);
    if (index + 1 >= MAX_ROWS) button.hidden = true;
    var first = clone.querySelector("input");
    if (first) first.focus();
  }

  /* --- wiring --- */

  function init() {
    document.querySelectorAll("form[data-autosave]").forEach(function (form) {
      form.addEventListener("input", function () { changed(form); });
      form.addEventListener("change", function (event) {
        if (event.target.tagName === "SELECT") changed(form);
      });
    });

    document.querySelectorAll("form.data-form").forEach(function (form) {
      form.querySelectorAll("tr[data-row]").forEach(updateChange);
      form.addEventListener("input", function (event) {
        var row = event.target.closest("tr[data-row]");
        if (row) updateChange(row);
      });
      form.addEventListener("change", function (event) {
        var row = event.target.closest("tr[data-row]");
        if (row) updateChange(row);
      });
      var button = form.querySelector("[data-add-row]");
      if (button) {
        button.hidden = form.querySelectorAll("tr[data-row]").length >= MAX_ROWS;
        button.addEventListener("click", function () { addRow(form, button); });
      }
    });

    document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      input.addEventListener("change", function () { checkFileSize(input.form); });
    });

    document.addEventListener("submit", guardSubmit, true);

    window.addEventListener("beforeunload", function (event) {
      if (dirtyForms().length) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    // Phones often close a tab without beforeunload: send what is unsaved as the page hides.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "hidden" || !navigator.sendBeacon) return;
      dirtyForms().forEach(function (form) {
        if (!state(form).inflight) navigator.sendBeacon(form.dataset.autosave, new FormData(form));
      });
    });

    window.addEventListener("online", function () {
      dirtyForms().forEach(function (form) { schedule(form, 0); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
