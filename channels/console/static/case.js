// The case page's reply form: choosing a canned reply fills the empty text box, "Chèn" adds it to what is
// already written (no framework). Without JavaScript, "Chèn" asks the server to put it in the box instead.
(function () {
  var select = document.getElementById("canned");
  var box = document.getElementById("reply-text");
  var insert = document.getElementById("canned-insert");
  if (!select || !box) return;
  var filled = "";  // the reply that choosing put in the box, untouched since

  function chosen() {
    var option = select.options[select.selectedIndex];
    return option ? option.getAttribute("data-text") || "" : "";
  }

  select.addEventListener("change", function () {
    var text = chosen();
    if (text && (!box.value.trim() || box.value === filled)) {
      box.value = filled = text;
    }
  });

  if (insert) {
    insert.addEventListener("click", function (event) {
      event.preventDefault();
      var text = chosen();
      if (!text) { select.focus(); return; }
      if (!(box.value === filled && filled === text)) {  // not just put there by choosing it
        box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
      }
      filled = "";  // from now on the box is the officer's text: choosing another reply does not replace it
      box.focus();
    });
  }
})();
