/* Every .chart holds its ECharts option as JSON in data-option (and may name a unit for its
   tooltip values in data-value-suffix); charts follow the window's width. Loaded after echarts.min.js (both deferred, so in order). */
(function () {
  var charts = [];
  /* On a phone every category label of a bar chart would overlap its neighbours, and a legend
     of long series names would wrap over the plot: slant the labels, scroll the legend. */
  function narrow(option) {
    if (option.legend) option.legend = Object.assign({}, option.legend, {type: "scroll"});
    var axis = option.xAxis;
    if (axis && axis.type === "category" && (axis.data || []).length > 4) {
      axis.axisLabel = Object.assign({}, axis.axisLabel, {rotate: 40, fontSize: 11});
      option.grid = Object.assign({}, option.grid, {containLabel: true, left: 8, bottom: 8});
    }
  }
  document.querySelectorAll(".chart[data-option]").forEach(function (el) {
    var chart = echarts.init(el);
    var option = JSON.parse(el.dataset.option);
    var suffix = el.dataset.valueSuffix;
    if (suffix) {  /* a formatter is a function, which JSON cannot carry */
      option.tooltip = Object.assign({}, option.tooltip, {
        valueFormatter: function (v) { return v == null ? "—" : v + suffix; }
      });
    }
    if (el.clientWidth < 560) narrow(option);
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
