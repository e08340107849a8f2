// Small behaviours shared by every screen. No framework: htmx does the rest.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.getElementById("htmx-error");
  if (!box) return;
  box.textContent = evt.detail.xhr.responseText && evt.detail.xhr.status < 500
    ? evt.detail.xhr.responseText : box.dataset.generic;
  box.hidden = false;
});
