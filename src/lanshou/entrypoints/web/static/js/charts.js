/* Every .chart holds its ECharts option as JSON in data-option; charts follow the window's
   width. Loaded after echarts.min.js (both deferred, so in order). */
(function () {
  var charts = [];
  document.querySelectorAll(".chart[data-option]").forEach(function (el) {
    var chart = echarts.init(el);
    chart.setOption(JSON.parse(el.dataset.option));
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
