// Refresh the inbox lists every few seconds (no framework): fetch /inbox/rows with the page's filters and
// swap the fragment in. A lost session sends the page back to the login.
(function () {
  var box = document.getElementById("inbox");
  if (!box || !window.fetch) return;
  var seconds = parseInt(box.getAttribute("data-poll-seconds"), 10) || 10;
  function refresh() {
    fetch("/inbox/rows" + window.location.search, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) {
        if (r.status === 401) { window.location.href = "/login"; return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null && html !== undefined) box.innerHTML = html; })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { window.setTimeout(refresh, seconds * 1000); });
  }
  window.setTimeout(refresh, seconds * 1000);
})();
