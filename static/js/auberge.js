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
