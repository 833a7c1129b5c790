// Survey results: draws the charts from the page's JSON (json_script), again after htmx swaps
// in new results. The tables and bars on the page carry the same figures without script.
(function () {
  "use strict";
  var PALETTE = ["#0b6bcb", "#c8102e", "#15803d", "#b45309", "#7c3aed", "#0e7490", "#be185d", "#4b5563"];
  // Low to high answers: red through grey to green, for the stacked distribution bars.
  var SCALE = ["#b91c1c", "#ea580c", "#a3a3a3", "#65a30d", "#15803d"];

  function base() {
    return {
      color: PALETTE,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { trigger: "axis", confine: true },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      animation: false
    };
  }

  function short(label) {
    return label.length > 10 ? label.slice(0, 9) + "…" : label;
  }

  var builders = {
    trend: function (d, all) {
      var option = base();
      option.legend = { top: 0 };
      option.xAxis = { type: "category", data: all.months };
      option.yAxis = [
        { type: "value", minInterval: 1 },
        { type: "value", splitLine: { show: false }, max: 100, min: function (v) { return v.min < 0 ? -100 : 0; } }
      ];
      option.series = [{ name: d.bars.name, type: "bar", data: d.bars.data, itemStyle: { opacity: 0.35 } }];
      d.lines.forEach(function (s) {
        option.series.push({ name: s.name, type: "line", yAxisIndex: 1, data: s.data, connectNulls: false });
      });
      return option;
    },
    factors: function (d) {
      var option = base();
      option.tooltip.trigger = "item";
      option.grid.top = 8;
      option.grid.right = 36;
      option.xAxis = { type: "value", max: 100 };
      option.yAxis = { type: "category", data: d.labels, inverse: true, axisLabel: { formatter: short } };
      option.series = [{ name: d.name, type: "bar", data: d.values, label: { show: true, position: "right" } }];
      return option;
    },
    factor_trend: function (d, all) {
      var option = base();
      // A plain legend wraps onto more lines on a phone instead of hiding names behind arrows.
      option.legend = { top: 0 };
      option.grid.top = d.lines.length > 3 ? 64 : 36;
      option.xAxis = { type: "category", data: all.months };
      option.yAxis = { type: "value", max: 100 };
      option.series = d.lines.map(function (s) {
        return { name: s.name, type: "line", data: s.data, connectNulls: false };
      });
      return option;
    },
    outlets: function (d) {
      var option = base();
      option.legend = { top: 0, type: "scroll" };
      option.xAxis = { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: d.labels.length > 4 ? 30 : 0, formatter: short } };
      option.yAxis = { type: "value" };
      option.series = [
        { name: d.name, type: "bar", data: d.values },
        { name: d.average_name, type: "line", data: d.labels.map(function () { return d.average; }), symbol: "none", lineStyle: { type: "dashed" } }
      ];
      return option;
    },
    distribution: function (d) {
      var option = base();
      option.legend = { top: 0 };
      option.grid.top = 64;
      option.grid.right = 12;
      option.xAxis = { type: "value", max: 100, axisLabel: { formatter: "{value}%" } };
      option.yAxis = { type: "category", data: d.labels, inverse: true, axisLabel: { formatter: short } };
      var colours = d.series.length === 5 ? SCALE : null;
      option.series = d.series.map(function (s, i) {
        var series = { name: s.name, type: "bar", stack: "all", data: s.data };
        if (colours) series.itemStyle = { color: colours[i] };
        return series;
      });
      return option;
    },
    nps_split: function (d) {
      var option = base();
      option.color = ["#15803d", "#a3a3a3", "#b91c1c"];
      option.tooltip = { trigger: "item", confine: true, formatter: "{b}: {c} ({d}%)" };
      option.legend = { bottom: 0 };
      option.series = [{
        name: d.name, type: "pie", radius: ["38%", "70%"], center: ["50%", "44%"],
        label: { position: "inside", formatter: "{d}%", color: "#fff", fontWeight: "bold" },
        data: d.labels.map(function (label, i) { return { name: label, value: d.values[i] }; })
      }];
      return option;
    }
  };

  function isEmpty(spec) {
    if (spec.labels) return spec.labels.length === 0;
    if (spec.lines) return spec.lines.length === 0;
    return false;
  }

  function draw() {
    var source = document.getElementById("survey-results-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var name = el.getAttribute("data-chart");
      var spec = data[name];
      var chart = window.echarts.getInstanceByDom(el);
      var empty = !spec || !builders[name] || isEmpty(spec);
      el.classList.toggle("empty", empty);
      if (empty) {
        if (chart) chart.dispose();
        return;
      }
      if (name === "distribution") {
        // One bar per question: the chart grows with the questions.
        el.style.height = Math.max(180, 90 + 28 * spec.labels.length) + "px";
      }
      chart = chart || window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(builders[name](spec, data), true);
      if (name === "distribution") chart.resize();
    });
  }

  function resize() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts && window.echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("resize", resize);
})();
