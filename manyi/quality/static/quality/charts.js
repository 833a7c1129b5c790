// Quality charts: drawn from the page's JSON (json_script id "quality-charts"). Each chart is an
// element with data-chart (the key in the JSON) and data-kind: lines, bars or hbar. The tables
// beside the charts carry the same figures without script.
(function () {
  "use strict";
  var PALETTE = ["#0b6bcb", "#15803d", "#b45309", "#c8102e", "#7c3aed", "#0e7490"];

  function base() {
    return {
      color: PALETTE,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { trigger: "axis", confine: true },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      animation: false
    };
  }

  function short(label) {
    return label.length > 7 ? label.slice(0, 6) + "…" : label;
  }

  // Outlet names share the brand at the front ("康宁大药房南京新街口店"): keep the end.
  function tail(label) {
    return label.length > 8 ? "…" + label.slice(-7) : label;
  }

  var kinds = {
    hgroup: function (d, el) {
      var o = base();
      o.legend = { top: 0, type: "scroll" };
      o.grid.top = 30;
      o.xAxis = { type: "value", min: 0, max: 100 };
      o.yAxis = { type: "category", data: d.labels, inverse: true, axisLabel: { formatter: tail } };
      o.series = d.series.map(function (s) {
        return { name: s.name, type: "bar", data: s.data, barMaxWidth: 10 };
      });
      el.style.height = Math.max(260, 50 + d.labels.length * 42) + "px";
      return o;
    },
    lines: function (d) {
      var o = base();
      o.legend = { top: 0, type: "scroll" };
      o.xAxis = { type: "category", data: d.labels };
      o.yAxis = { type: "value", min: 0, max: 100 };
      o.series = d.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, connectNulls: true, symbolSize: 6 };
      });
      return o;
    },
    bars: function (d) {
      var o = base();
      o.legend = { top: 0, type: "scroll" };
      o.xAxis = { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: d.labels.length > 4 ? 30 : 0, formatter: short } };
      o.yAxis = { type: "value", min: 0, max: 100 };
      o.series = d.series.map(function (s) { return { name: s.name, type: "bar", data: s.data, barMaxWidth: 28 }; });
      return o;
    },
    hbar: function (d) {
      var o = base();
      o.tooltip.trigger = "item";
      o.grid.top = 8;
      o.grid.right = 36;
      o.xAxis = { type: "value", min: 0, max: 100 };
      o.yAxis = { type: "category", data: d.labels, inverse: true, axisLabel: { formatter: tail } };
      var data = d.values.map(function (v, i) {
        var rival = d.competitor && d.competitor[i];
        return { value: v, itemStyle: { color: rival ? "#b45309" : "#0b6bcb" } };
      });
      o.series = [{ name: d.name, type: "bar", data: data, label: { show: true, position: "right" } }];
      return o;
    }
  };

  function draw() {
    var source = document.getElementById("quality-charts");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var d = data[el.getAttribute("data-chart")];
      var kind = kinds[el.getAttribute("data-kind")];
      if (!d || !kind || !d.labels || !d.labels.length) { el.hidden = true; return; }
      var option = kind(d, el);
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option, true);
      chart.resize();
    });
  }

  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts && window.echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
  document.addEventListener("DOMContentLoaded", draw);
})();
