// Team pages: draws the charts from the page's JSON (json_script), again after htmx swaps.
// <div class="chart" data-team-chart="line" data-source="ID"></div> reads the element #ID:
// {labels: [...], series: [{name, data: [...]}], y: {min, max}, horizontal: bool}.
// Every chart has a table beside it with the same figures, so nothing depends on script.
(function () {
  "use strict";
  var PALETTE = ["#0b6bcb", "#c8102e", "#15803d", "#b45309", "#7c3aed", "#0e7490"];

  function option(kind, d) {
    var horizontal = !!d.horizontal;
    var category = { type: "category", data: d.labels, axisLabel: { hideOverlap: true } };
    var value = { type: "value" };
    if (d.y) {
      if (d.y.min !== undefined) value.min = d.y.min;
      if (d.y.max !== undefined) value.max = d.y.max;
      if (d.y.interval !== undefined) value.interval = d.y.interval;
    }
    if (horizontal) category.inverse = true;
    return {
      color: PALETTE,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { trigger: "axis", confine: true },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      animation: false,
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: d.series.map(function (s) {
        return { name: s.name, type: kind, data: s.data, connectNulls: true, label: { show: kind === "bar" } };
      })
    };
  }

  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-team-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-source"));
      if (!source) return;
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
      chart.setOption(option(el.getAttribute("data-team-chart"), JSON.parse(source.textContent)), true);
    });
  }

  function resize() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-team-chart]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  }

  window.addEventListener("load", draw);
  window.addEventListener("resize", resize);
  document.addEventListener("htmx:afterSettle", draw);
})();
