// Staff POS screens, progressive enhancement only (every form works without this file):
// - the cash numpad: digits typed into the "cash given" field, the change shown large;
// - the tip by percent: fills the tip amount from the amount due;
// - a dish's sheet closes once its line is added;
// - the till's barcode reader (a keyboard-wedge scanner) is heard when no field has focus.
// Words come from data- attributes the server rendered in the page's language.
(function () {
  "use strict";

  function parseAmount(text) {
    var v = parseFloat(String(text || "").replace(/\s/g, "").replace(",", "."));
    return isNaN(v) ? null : v;
  }

  function formatAmount(value, sample) {
    // the server's money format decides the decimal mark (babel: "18,00 €" or "€18.00")
    var comma = /\d,\d\d/.test(sample || "");
    var text = value.toFixed(2);
    return comma ? text.replace(".", ",") : text;
  }

  function updateChange(form) {
    var out = form.querySelector("[data-change]");
    var input = form.querySelector("[data-numpad-target]");
    if (!out || !input) return;
    var due = parseAmount(form.dataset.due);
    var given = parseAmount(input.value);
    if (due === null || given === null || given < due) { out.hidden = true; return; }
    out.hidden = false;
    out.textContent = out.dataset.label + " : " + formatAmount(given - due, form.dataset.dueText);
  }

  function buildNumpad(form) {
    var pad = form.querySelector("[data-numpad]");
    var input = form.querySelector("[data-numpad-target]");
    if (!pad || !input || pad.dataset.built) return;
    pad.dataset.built = "1";
    var keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", ",", "0", "⌫"];
    keys.forEach(function (key) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn numkey";
      b.textContent = key;
      if (key === "⌫") b.setAttribute("aria-label", pad.dataset.backspace || "⌫");
      b.addEventListener("click", function () {
        if (key === "⌫") input.value = input.value.slice(0, -1);
        else if (key === "," && input.value.indexOf(",") >= 0) return;
        else input.value += key;
        updateChange(form);
      });
      pad.appendChild(b);
    });
    pad.hidden = false;
    input.addEventListener("input", function () { updateChange(form); });
  }

  function wireTips(form) {
    var box = form.querySelector("[data-tip-percent]");
    var tip = form.querySelector("input[name=tip]");
    if (!box || !tip) return;
    box.hidden = false;
    box.querySelectorAll("button[data-percent]").forEach(function (b) {
      b.addEventListener("click", function () {
        var due = parseAmount(form.dataset.due) || 0;
        tip.value = formatAmount(Math.round(due * parseInt(b.dataset.percent, 10)) / 100, form.dataset.dueText);
      });
    });
  }

  function enhance(root) {
    (root || document).querySelectorAll("form[data-numpad-form]").forEach(function (form) {
      buildNumpad(form);
      wireTips(form);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (evt) { enhance(evt.target); });

  // a dish's sheet (a <details>) closes when its line was added
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.target.closest && evt.target.closest("form[data-close-details]");
    if (!form || !evt.detail.successful) return;
    var details = form.closest("details");
    if (details) details.open = false;
  });

  // keyboard-wedge scanner: digits typed fast, then Enter, while no field has the focus
  var buffer = "";
  var last = 0;
  document.addEventListener("keydown", function (evt) {
    var field = document.querySelector("[data-barcode-listen]");
    if (!field) return;
    var active = document.activeElement;
    if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return;
    var now = Date.now();
    if (now - last > 100) buffer = "";
    last = now;
    if (evt.key === "Enter" && buffer.length >= 6) {
      field.value = buffer;
      buffer = "";
      evt.preventDefault();
      if (field.form) field.form.requestSubmit();
    } else if (/^[0-9]$/.test(evt.key)) {
      buffer += evt.key;
    }
  });
})();
