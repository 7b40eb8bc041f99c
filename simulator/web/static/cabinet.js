// Live updates for the cabinet: poll a tiny version endpoint every 2 s and, when it
// changes, swap in the server-rendered fragment (or reload the page). Reading works
// without this file; it only saves pressing reload.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !window.fetch) { return; }
  var versionUrl = box.getAttribute("data-version-url");
  var fragmentUrl = box.getAttribute("data-live");
  var wholePage = box.getAttribute("data-reload") === "page";
  var current = box.getAttribute("data-version");
  var open = function () {
    // Keep the reader's expanded <details> open across a swap.
    return Array.prototype.map.call(box.querySelectorAll("details[open] summary"), function (s) {
      return s.textContent;
    });
  };
  function tick() {
    fetch(versionUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        // Signed out in another tab, or the simulator restarted: the reload lands on the sign-in page.
        if (r.status === 401) { window.location.reload(); }
        return r.ok ? r.json() : null;
      })
      .then(function (v) {
        if (!v || v.version === current) { return null; }
        if (current === null || wholePage) {
          if (current !== null) { window.location.reload(); }
          current = v.version;
          return null;
        }
        var keep = open();
        return fetch(fragmentUrl, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
          if (!r.ok) { return; }
          var next = r.headers.get("X-Cabinet-Version") || v.version;
          return r.text().then(function (html) {
            box.innerHTML = html;
            current = next;
            box.querySelectorAll("details summary").forEach(function (s) {
              if (keep.indexOf(s.textContent) >= 0) { s.parentNode.open = true; }
            });
            box.setAttribute("data-version", current);
          });
        });
      })
      .catch(function () { /* the simulator may be restarting; try again on the next tick */ })
      .then(function () { window.setTimeout(tick, 2000); });
  }
  window.setTimeout(tick, 2000);
})();
