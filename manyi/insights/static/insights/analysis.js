// Insights analyses (loop closure, service gap, voice): draws each page's chart from its JSON
// (json_script); the tables beside the charts carry the same figures without script.
(function () {
  "use strict";
  var PALETTE = ["#0b6bcb", "#c8102e", "#15803d", "#b45309", "#7c3aed", "#0e7490"];

  function base() {
    return {
      color: PALETTE,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { trigger: "axis", confine: true },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      animation: false
    };
  }

  function short(label) {
    return label.length > 8 ? label.slice(0, 7) + "…" : label;
  }

  var builders = {
    loop: function (d) {
      if (!d.labels.length) { return null; }
      var option = base();
      option.grid.top = 8;
      option.xAxis = { type: "value", max: 100, axisLabel: { formatter: "{value}%" } };
      // worst first, at the top, as in the table below
      option.yAxis = { type: "category", data: d.labels, inverse: true, axisLabel: { formatter: short } };
      option.series = [{
        name: d.name, type: "bar", data: d.share, barMaxWidth: 24,
        label: { show: true, position: "right", formatter: function (p) { return p.value == null ? "—" : Math.round(p.value) + "%"; } }
      }];
      return option;
    },
    gap: function (d) {
      if (!d.labels.length) { return null; }
      var option = base();
      option.legend = { top: 0, type: "scroll" };
      option.xAxis = { type: "value", min: 0, max: 100 };
      option.yAxis = { type: "category", data: d.labels, inverse: true, axisLabel: { formatter: short } };
      option.series = [
        { name: d.names[0], type: "bar", data: d.expectation, barMaxWidth: 16, itemStyle: { color: "#94a3b8" } },
        { name: d.names[1], type: "bar", data: d.perception, barMaxWidth: 16, label: { show: true, position: "right" } }
      ];
      return option;
    },
    voice: function (d) {
      if (!d.words.length) { return null; }
      var option = base();
      option.legend = { top: 0, type: "scroll" };
      option.xAxis = { type: "value", minInterval: 1 };
      option.yAxis = { type: "category", data: d.words };
      option.series = [
        { name: d.names[1], type: "bar", data: d.before, barMaxWidth: 12, itemStyle: { color: "#cbd5e1" } },
        { name: d.names[0], type: "bar", data: d.now, barMaxWidth: 12 }
      ];
      return option;
    }
  };

  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = el.getAttribute("data-chart");
      var source = document.getElementById(kind + "-chart");
      if (!source || !builders[kind]) { return; }
      var option = builders[kind](JSON.parse(source.textContent));
      if (!option) { el.classList.add("empty"); return; }
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
      chart.setOption(option, true);
    });
  }

  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts && window.echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-autosubmit]")) {
      event.target.form.requestSubmit();
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
