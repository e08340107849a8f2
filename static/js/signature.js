// The guest's signature on the tablet: draw on the canvas with a finger, a pen or a mouse;
// on submit the drawing goes into the hidden field as a PNG data URL. Nothing is drawn, the
// field stays empty and the server says "the guest must sign".
(function () {
  function setUp(form) {
    var canvas = form.querySelector("canvas");
    var field = form.querySelector("[data-signature-value]");
    var clear = form.querySelector("[data-signature-clear]");
    if (!canvas || !field) return;
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#111";
    function point(evt) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (evt.clientX - box.left) * (canvas.width / box.width),
        y: (evt.clientY - box.top) * (canvas.height / box.height),
      };
    }
    canvas.addEventListener("pointerdown", function (evt) {
      drawing = true;
      canvas.setPointerCapture(evt.pointerId);
      var p = point(evt);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      evt.preventDefault();
    });
    canvas.addEventListener("pointermove", function (evt) {
      if (!drawing) return;
      var p = point(evt);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      drawn = true;
      evt.preventDefault();
    });
    function stop() { drawing = false; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        field.value = "";
      });
    }
    form.addEventListener("submit", function () {
      field.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-signature-form]").forEach(setUp);
  });
})();
