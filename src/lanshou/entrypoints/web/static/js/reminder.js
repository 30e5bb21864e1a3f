/* The reminder page's "copy text" button: copies the textarea, then says it is done. */
(function () {
  var button = document.getElementById("copy-reminder");
  var text = document.getElementById("reminder-text");
  if (!button || !text) return;
  button.addEventListener("click", function () {
    text.select();
    var copied = navigator.clipboard ? navigator.clipboard.writeText(text.value)
                                     : Promise.resolve(document.execCommand("copy"));
    copied.then(function () { button.textContent = button.dataset.done; });
  });
})();
