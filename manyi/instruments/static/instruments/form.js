// Shows and hides the answer form's items as their display conditions change
// (instruments/_form.html). Without it the server decides on the next post.
(function () {
  function valueOf(form, code) {
    var inputs = form.querySelectorAll('[name="' + code + '"]');
    var values = [];
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      if (el.value !== "") values.push(el.value);
    }
    var box = form.querySelector('#q-' + code);
    if (!values.length) return null;
    if (box && box.classList.contains("q-multiple") && values[0] !== "na") return values;
    return values[0];
  }
  function typed(box, raw) {
    if (raw === null || raw === "na" || Array.isArray(raw)) return raw;
    if (box.classList.contains("q-yes_no")) return raw === "yes";
    if (box.classList.contains("q-scale") || box.classList.contains("q-nps") ||
        box.classList.contains("q-number")) return Number(raw);
    return raw;
  }
  function holds(c, v) {
    if (c.op === "answered") return v !== null && v !== "na";
    if (v === null || v === "na") return false;
    if (Array.isArray(v)) {
      var wanted = (c.op === "in" || c.op === "not_in") ? c.value : [c.value];
      var hit = v.some(function (x) { return wanted.indexOf(x) >= 0; });
      return (c.op === "==" || c.op === "in") ? hit : !hit;
    }
    switch (c.op) {
      case "==": return v === c.value;
      case "!=": return v !== c.value;
      case "in": return c.value.indexOf(v) >= 0;
      case "not_in": return c.value.indexOf(v) < 0;
      case "<": return v < c.value;
      case "<=": return v <= c.value;
      case ">": return v > c.value;
      case ">=": return v >= c.value;
    }
    return true;
  }
  function update(form) {
    var boxes = form.querySelectorAll(".q[data-code]");
    var shown = {};
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i], raw = box.getAttribute("data-show-if"), show = true;
      if (raw) {
        var c = JSON.parse(raw), source = form.querySelector("#q-" + c.item);
        // A source on another screen: keep what the server decided.
        show = source ? (shown[c.item] !== false &&
          holds(c, typed(source, valueOf(form, c.item)))) : !box.hidden;
      }
      shown[box.getAttribute("data-code")] = show;
      box.hidden = !show;
    }
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest("[data-q-form]");
    if (form) update(form);
  });
})();
