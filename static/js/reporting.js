// The dashboard's charts: each is drawn from the table beneath it (the table is the data; no
// inline script, no JSON in the page). Cells are read back to numbers from their shown text.
(function () {
  "use strict";
  function toNumber(text) {
    var clean = text.replace(/[\s\u00a0\u202f%]/g, "").replace(/[^0-9,.\-]/g, "");
    if (clean.indexOf(",") >= 0) { clean = clean.replace(/\./g, "").replace(",", "."); }
    else { clean = clean.replace(/,/g, ""); }
    var value = parseFloat(clean);
    return isNaN(value) ? null : value;
  }
  function draw(canvas) {
    var table = document.getElementById(canvas.getAttribute("data-chart-for"));
    if (!table || !window.Chart) { return; }
    var type = table.getAttribute("data-chart");
    var heads = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
    var labels = rows.map(function (r) { return r.cells[0].textContent.trim(); });
    var datasets = [];
    heads.forEach(function (th, i) {
      var kind = th.getAttribute("data-kind");
      if (i === 0 || kind === "text") { return; }
      if (type === "doughnut" && datasets.length) { return; }
      if (kind === "count" && type !== "doughnut" && heads.length > 2) { return; }
      datasets.push({
        label: th.textContent.trim(),
        data: rows.map(function (r) { return r.cells[i] ? toNumber(r.cells[i].textContent) : null; })
      });
    });
    new window.Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false }
    });
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart-for]"), draw);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
