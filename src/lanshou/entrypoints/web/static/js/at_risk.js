/* The at-risk board. Every countdown ticks once a second, offset by the server's "now" (the
   table's data-now) so a fixed or shifted server clock and the browser agree on the start. */
(function () {
  var table = document.querySelector(".risk-table");
  if (!table) return;
  var skew = Date.parse(table.dataset.now) - Date.now();
  var overdue = table.dataset.overdue, dayTpl = table.dataset.day;
  var cells = table.querySelectorAll("[data-deadline]");
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var now = Date.now() + skew;
    cells.forEach(function (el) {
      var left = Math.floor((Date.parse(el.dataset.deadline) - now) / 1000);
      var level = left <= 0 ? "over" : left < 7200 ? "danger" : left < 21600 ? "warn" : "ok";
      el.className = "countdown countdown-" + level;
      if (left <= 0) { el.textContent = overdue; return; }
      var d = Math.floor(left / 86400), r = left % 86400;
      var clock = pad(Math.floor(r / 3600)) + ":" + pad(Math.floor(r % 3600 / 60)) + ":" + pad(r % 60);
      el.textContent = d ? dayTpl.replace("0", d) + " " + clock : clock;
    });
  }
  tick();
  setInterval(tick, 1000);

  /* Keep the prefilled summary in step with the chosen counterpart and channel, unless the
     user has typed their own. */
  var summaries = JSON.parse(table.dataset.summaries);
  table.querySelectorAll(".contact-form").forEach(function (form) {
    var text = form.elements.summary;
    function key() { return form.elements.counterpart_kind.value + ":" + form.elements.channel.value; }
    var shown = text.value;
    form.addEventListener("change", function (ev) {
      if (ev.target === text || text.value !== shown) return;
      text.value = shown = summaries[key()] || shown;
    });
  });
})();
