/* The menu drawer on phones opens and closes without script (a checkbox and its labels); this
   only adds what a checkbox cannot: Escape closes it. */
(function () {
  var toggle = document.getElementById("nav-toggle");
  if (!toggle) return;
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && toggle.checked) { toggle.checked = false; toggle.focus(); }
  });
})();
