/* Character counters: every textarea[data-limit] updates "#<id>-count" and marks
   "#<id>-counter" as over the limit (characters counted as the platform counts them). */
(function () {
  document.querySelectorAll("textarea[data-limit]").forEach(function (box) {
    var limit = parseInt(box.dataset.limit, 10);
    var counter = document.getElementById(box.id + "-counter");
    var count = document.getElementById(box.id + "-count");
    if (!counter || !count) return;
    function update() {
      var n = Array.from(box.value).length;
      count.textContent = n;
      counter.classList.toggle("over", n > limit);
    }
    box.addEventListener("input", update);
    update();
  });
})();
