// Complaint analytics: draws the charts from the page's JSON (json_script), again after htmx
// swaps in new results. The tables below each chart carry the same figures without script.
(function () {
  "use strict";
  var PALETTE = ["#0b6bcb", "#c8102e", "#15803d", "#b45309", "#7c3aed", "#0e7490", "#be185d", "#4b5563"];

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
    return label.length > 8 ? label.slice(0, 7) + "…" : label;
  }

  var builders = {
    trend: function (d) {
      var option = base();
      option.legend = { top: 0, type: "scroll" };
      option.xAxis = { type: "category", data: d.labels };
      option.yAxis = [
        { type: "value", minInterval: 1 },
        { type: "value", splitLine: { show: false } }
      ];
      option.series = d.bars.map(function (s) {
        return { name: s.name, type: "bar", data: s.data, barMaxWidth: 40 };
      });
      option.series.push({ name: d.line.name, type: "line", yAxisIndex: 1, data: d.line.data });
      return option;
    },
    bars: function (d) {
      var option = base();
      option.tooltip.trigger = "item";
      option.grid.top = 8;
      option.grid.right = 28;
      option.xAxis = { type: "value", minInterval: 1 };
      option.yAxis = { type: "category", data: d.labels, inverse: true, axisLabel: { formatter: short } };
      option.series = [{ name: d.name, type: "bar", data: d.values, barMaxWidth: 32, label: { show: true, position: "right" } }];
      return option;
    },
    pie: function (d) {
      var option = base();
      option.tooltip = { trigger: "item", confine: true, formatter: "{b}: {c} ({d}%)" };
      option.legend = { bottom: 0, type: "scroll" };
      option.series = [{
        name: d.name, type: "pie", radius: ["35%", "62%"], center: ["50%", "44%"],
        label: { formatter: "{c}" },
        data: d.labels.map(function (label, i) { return { name: label, value: d.values[i] }; })
      }];
      return option;
    },
    outlet: function (d) {
      var option = base();
      option.legend = { top: 0, type: "scroll" };
      option.xAxis = { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: d.labels.length > 4 ? 30 : 0, formatter: short } };
      option.yAxis = [
        { type: "value", minInterval: 1 },
        { type: "value", splitLine: { show: false } }
      ];
      option.series = [
        { name: d.name, type: "bar", data: d.values, barMaxWidth: 40 },
        { name: d.line.name, type: "line", yAxisIndex: 1, data: d.line.data, connectNulls: false }
      ];
      return option;
    }
  };

  var KINDS = { trend: "trend", cause: "bars", channel: "pie", responsibility: "pie", cost: "pie", outlet: "outlet" };
  // A chart of one outlet says nothing the table does not: it needs two at least.
  var AT_LEAST = { outlet: 2 };

  function draw() {
    var source = document.getElementById("complaint-analytics-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var name = el.getAttribute("data-chart");
      var spec = data[name];
      if (!spec || !builders[KINDS[name]]) return;
      var empty = (spec.values || spec.labels || []).length < (AT_LEAST[name] || 1);
      el.classList.toggle("empty", empty);
      var chart = window.echarts.getInstanceByDom(el);
      if (empty) {
        if (chart) chart.dispose();
        return;
      }
      chart = chart || window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(builders[KINDS[name]](spec), true);
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
