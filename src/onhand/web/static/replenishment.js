// Replenishment: follow the runs in the background and reload the page when one has finished
// (the page works without this: its "Check again" link does the same).
(function () {
  "use strict";
  const boxes = document.querySelectorAll("[data-running]");
  if (!boxes.length) return;
  function poll() {
    let pending = boxes.length;
    let finished = false;
    boxes.forEach(function (box) {
      fetch("/replenishment/runs/" + encodeURIComponent(box.dataset.running) + "/status",
            { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (run) {
          if (!run) return;
          if (run.status !== "running") { finished = true; return; }
          const stage = box.querySelector(".run-stage");
          if (stage) stage.textContent = run.stage + ", " + run.progress.done + " of " + run.progress.total + " stages done";
        })
        .catch(function () { /* offline for a moment: try again later */ })
        .finally(function () {
          pending -= 1;
          if (pending > 0) return;
          if (finished) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
        });
    });
  }
  window.setTimeout(poll, 1500);
})();
