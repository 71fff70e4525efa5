// Live regions: when the server says the stock changed, fetch this page again and swap every
// element marked data-live="name" for its new version. Without EventSource nothing happens and
// the page is simply as of its loading.
(function () {
  "use strict";
  if (!("EventSource" in window) || !document.querySelector("[data-live]")) return;
  var MIN_GAP_MS = 2000; // a busy warehouse posts often: one refresh per gap, the last one wins
  var busy = false, last = 0, pending = null;
  function refresh() {
    var wait = last + MIN_GAP_MS - Date.now();
    if (busy || wait > 0) {
      if (!pending) pending = setTimeout(function () { pending = null; refresh(); }, Math.max(wait, 200));
      return;
    }
    busy = true;
    last = Date.now();
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (old) {
          var name = old.getAttribute("data-live");
          var next = fresh.querySelector('[data-live="' + name + '"]');
          if (next) old.replaceWith(document.importNode(next, true));
        });
        document.body.setAttribute("data-live-updated", String(Date.now()));
      })
      .catch(function () { /* offline for a moment: the next event tries again */ })
      .finally(function () { busy = false; });
  }
  var stream = new EventSource("/live/events");
  stream.addEventListener("stock", refresh);
  window.addEventListener("pagehide", function () { stream.close(); });
})();
