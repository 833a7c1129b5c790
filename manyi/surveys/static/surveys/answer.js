// Saves a one-page survey's answers as they change, so the customer can leave and come back
// (without JavaScript the "save and finish later" button does the same).
(function () {
  var form = document.querySelector("form[data-save]");
  if (!form || !window.fetch || !window.FormData) return;
  var timer = null;
  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(form.getAttribute("data-save"), { method: "POST", body: new FormData(form) });
    }, 600);
  });
})();
