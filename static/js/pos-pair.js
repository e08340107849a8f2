// The new tablet's pairing page (/pos/pair/): ask every 3 seconds whether the manager has
// bound the code it shows; the answer that says so carries the terminal's cookie.
(function () {
  "use strict";
  function start() {
    var box = document.querySelector("[data-pair-status]");
    if (!box) return;
    var url = box.getAttribute("data-pair-status");
    function ask() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { state: "waiting" }; })
        .then(function (answer) {
          if (answer.state === "paired") { window.location.assign(answer.next); return; }
          if (answer.state === "expired") { window.location.reload(); return; }
          window.setTimeout(ask, 3000);
        })
        .catch(function () { window.setTimeout(ask, 3000); });
    }
    window.setTimeout(ask, 3000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
