// The item form shows only the fields of the chosen type (CSS reads data-type).
document.addEventListener("change", function (event) {
  if (event.target.name !== "type") return;
  var form = event.target.closest(".b-item-form");
  if (form) form.setAttribute("data-type", event.target.value);
});
