// The kiosk starts afresh after `data-idle-seconds` untouched: the next guest never finds
// the last one's basket. Any touch, click or key restarts the count. 0 (the card step's
// page) never resets.
(function () {
  "use strict";
  var seconds = parseInt(document.body.getAttribute("data-idle-seconds"), 10);
  if (isNaN(seconds)) { seconds = 90; }
  var timer = null;
  function reset() {
    var form = document.getElementById("kiosk-reset");
    if (form) { form.submit(); }
  }
  function arm() {
    if (seconds <= 0) { return; } // the card step: never reset while the card is in the terminal
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(reset, seconds * 1000);
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, arm, { passive: true });
  });
  // no long-press menu, no text selection on the keys of a shared tablet
  document.addEventListener("contextmenu", function (e) { e.preventDefault(); });
  arm();
})();
