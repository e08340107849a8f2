// Small behaviours shared by every screen. No framework: htmx does the rest.
// htmx does not swap an error answer: say in the page's language what happened.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.getElementById("htmx-error");
  if (!box) return;
  var status = evt.detail.xhr.status;
  box.textContent = status === 403 ? box.dataset.forbidden
    : status === 404 ? box.dataset.missing : box.dataset.generic;
  box.hidden = false;
});
document.addEventListener("htmx:sendError", function () {
  var box = document.getElementById("htmx-error");
  if (box) { box.textContent = box.dataset.generic; box.hidden = false; }
});
document.addEventListener("htmx:afterSwap", function () {
  var box = document.getElementById("htmx-error");
  if (box) box.hidden = true;
});
// An htmx tap that moved to another screen (the tab, the receipt) changed the address but
// not the header: "Switch user" and the language buttons must come back to the new screen.
document.addEventListener("htmx:pushedIntoHistory", function (evt) {
  var path = evt.detail.path;
  var pin = document.querySelector("[data-testid=pin-switch]");
  if (pin) {
    var url = new URL(pin.getAttribute("href"), window.location.origin);
    url.searchParams.set("next", path);
    pin.setAttribute("href", url.pathname + url.search);
  }
  document.querySelectorAll("form.lang input[name=next]").forEach(function (input) {
    input.value = path;
  });
});
// Behaviours that were inline attributes (the Content-Security-Policy runs no inline script,
// event handler or hx-on): declared with data- attributes, wired here once for the document.
// <select data-autosubmit>: choosing an option submits its form (the property switcher).
document.addEventListener("change", function (evt) {
  var select = evt.target.closest && evt.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.submit();
});
// <form data-reset-after-request="always|success" [data-refocus]>: after its htmx request the
// form is emptied (always, or only when it succeeded) and its first input takes the focus again
// (the scanner's next barcode).
document.addEventListener("htmx:afterRequest", function (evt) {
  var form = evt.target.closest && evt.target.closest("form[data-reset-after-request]");
  if (!form) return;
  if (form.dataset.resetAfterRequest === "success" && !evt.detail.successful) return;
  form.reset();
  if (form.hasAttribute("data-refocus")) {
    var input = form.querySelector("input:not([type=hidden])");
    if (input) input.focus();
  }
});
// The menu's "More" panel closes on a tap elsewhere, or on Escape.
document.addEventListener("click", function (evt) {
  document.querySelectorAll("details.navmore[open]").forEach(function (more) {
    if (!more.contains(evt.target)) more.open = false;
  });
});
document.addEventListener("keydown", function (evt) {
  if (evt.key !== "Escape") return;
  document.querySelectorAll("details.navmore[open]").forEach(function (more) {
    more.open = false;
    more.querySelector("summary").focus();
  });
});
