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
