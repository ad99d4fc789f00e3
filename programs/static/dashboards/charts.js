/* Draws every chart of the page from its JSON spec with the Plotly bundle served by the app.
   Without JavaScript the chart areas stay hidden and the tables beside them carry the numbers. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  if (!window.Plotly) {
    return;
  }
  var config = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, spec.data, spec.layout, config).then(function () {
      element.setAttribute("data-rendered", "true");
    });
  });
  // Printed, the page is an A4 column: each chart is redrawn to its box's new width, and back.
  function fitCharts() {
    document.querySelectorAll("[data-rendered='true']").forEach(function (element) {
      window.Plotly.Plots.resize(element);
    });
  }
  window.addEventListener("beforeprint", fitCharts);
  window.addEventListener("afterprint", fitCharts);
  if (window.matchMedia) {
    window.matchMedia("print").addEventListener("change", fitCharts);
  }
})();
