// Draws every report chart from the numbers its table was made of (a JSON block beside the canvas).
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById("chart-" + canvas.dataset.chart);
      if (!source || canvas.dataset.drawn || typeof Chart === "undefined") {
        return;
      }
      new Chart(canvas, JSON.parse(source.textContent));
      canvas.dataset.drawn = "1";
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
