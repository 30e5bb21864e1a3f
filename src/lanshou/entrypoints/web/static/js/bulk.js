/* Bulk selection: "select all on this page", the selected count, and buttons that need rows.
   Without JavaScript every checkbox still works and the server refuses an empty selection. */
(function () {
  var form = document.querySelector("form[data-bulk]");
  if (!form) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("input[data-bulk-row]"));
  var all = document.querySelector("input[data-bulk-all]");
  var count = form.querySelector("[data-bulk-count]");
  var buttons = form.querySelectorAll("[data-bulk-needs-rows]");

  function refresh() {
    var n = rows.filter(function (box) { return box.checked; }).length;
    if (count) { count.textContent = count.getAttribute("data-template").replace("{n}", n); }
    buttons.forEach(function (button) { button.disabled = n === 0; });
    if (all) {
      all.checked = n > 0 && n === rows.length;
      all.indeterminate = n > 0 && n < rows.length;
    }
    form.classList.toggle("bulk-active", n > 0);
  }

  rows.forEach(function (box) { box.addEventListener("change", refresh); });
  if (all) {
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
      refresh();
    });
  }
  refresh();
})();
