/* Every .chart holds its ECharts option as JSON in data-option (and may name a unit for its
   tooltip values in data-value-suffix); charts follow the window's width. Loaded after echarts.min.js (both deferred, so in order). */
(function () {
  var charts = [];
  document.querySelectorAll(".chart[data-option]").forEach(function (el) {
    var chart = echarts.init(el);
    var option = JSON.parse(el.dataset.option);
    var suffix = el.dataset.valueSuffix;
    if (suffix) {  /* a formatter is a function, which JSON cannot carry */
      option.tooltip = Object.assign({}, option.tooltip, {
        valueFormatter: function (v) { return v == null ? "—" : v + suffix; }
      });
    }
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
