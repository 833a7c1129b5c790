// The cockpit: sparklines of the indicator cards, the children's bar chart (a click on a bar
// drills down), and the period fields that belong to the chosen kind of period. The data comes
// from the page's JSON (json_script); the tables carry the same figures without script.
(function () {
  "use strict";
  var charts = [];

  function data() {
    var node = document.getElementById("cockpit-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  function round(v) {
    return v === null || v === undefined ? null : Math.round(v * 10) / 10;
  }

  function spark(el, d, indicator) {
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 2, right: 2, top: 4, bottom: 2 },
      tooltip: { trigger: "axis", confine: true, valueFormatter: round },
      xAxis: { type: "category", data: d.months, show: false, boundaryGap: false },
      yAxis: { type: "value", show: false, scale: true },
      series: [{
        name: indicator.label, type: "line", data: indicator.trend.map(round),
        showSymbol: false, connectNulls: true, lineStyle: { width: 2, color: "#0b6bcb" },
        areaStyle: { color: "rgba(11,107,203,0.08)" }
      }]
    });
    charts.push(chart);
  }

  function childrenChart(el, d, code) {
    var chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "svg" });
    var label = d.indicators.filter(function (i) { return i.code === code; })[0].label;
    var names = d.children.map(function (c) { return c.name; });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 36, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "item", confine: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: names, inverse: true,
        axisLabel: { formatter: function (s) { return s.length > 8 ? s.slice(0, 7) + "…" : s; } } },
      series: [{
        name: label, type: "bar", barMaxWidth: 28, cursor: "pointer",
        data: d.children.map(function (c) { return round(c.values[code]); }),
        label: { show: true, position: "right" }, itemStyle: { color: "#0b6bcb" }
      }]
    }, true);
    el.style.height = Math.max(120, names.length * 34 + 24) + "px";
    chart.resize();
    chart.off("click");
    chart.on("click", function (params) {
      var child = d.children[params.dataIndex];
      if (child && child.url) { window.location.href = child.url; }
    });
    if (charts.indexOf(chart) < 0) { charts.push(chart); }
  }

  function periodFields() {
    var select = document.getElementById("id_period");
    if (!select) { return; }
    function sync() {
      document.querySelectorAll(".cockpit-filters [data-for]").forEach(function (field) {
        var on = field.getAttribute("data-for").split(" ").indexOf(select.value) >= 0;
        field.hidden = !on;
        field.querySelectorAll("input").forEach(function (input) { input.disabled = !on; });
      });
    }
    select.addEventListener("change", sync);
    sync();
  }

  function init() {
    periodFields();
    var d = data();
    if (!d || typeof echarts === "undefined") { return; }
    d.indicators.forEach(function (indicator) {
      var el = document.querySelector('[data-spark="' + indicator.code + '"]');
      if (el && indicator.trend.length) { spark(el, d, indicator); }
    });
    var el = document.getElementById("children-chart");
    var pick = document.getElementById("children-metric");
    if (el && d.children.length) {
      childrenChart(el, d, pick ? pick.value : "sla");
      if (pick) { pick.addEventListener("change", function () { childrenChart(el, d, pick.value); }); }
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
