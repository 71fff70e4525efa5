/* onhand scan page: progressive enhancement of a plain form that works without it.
   - one submission per rendered form (a double Enter sends the scan once);
   - the focus back in the scan input;
   - "Use camera" where the browser has BarcodeDetector and a camera: the code read goes into the
     same input and the form is submitted as if a scanner had typed it. No API, no button. */
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  var input = document.getElementById("scan-code");
  if (!form || !input) {
    return;
  }
  // autofocus is applied at the browser's next rendering, which a busy phone may reach after
  // the first keystrokes of a scan; focusing now (before the load event) loses none of them.
  if (!document.activeElement || document.activeElement === document.body) {
    input.focus();
  }
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) {
      event.preventDefault();
      return;
    }
    sending = true;
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { // restored from the history: it may be sent again, focus it again
      sending = false;
      input.focus();
    }
  });

  var button = document.getElementById("scan-camera");
  var video = document.getElementById("scan-video");
  var said = document.getElementById("scan-camera-status");
  var media = navigator.mediaDevices;
  if (!button || !video || !("BarcodeDetector" in window) || !media || !media.getUserMedia) {
    return;
  }
  var KEEP = "onhand-scan-camera"; // the camera stays on from one scan to the next
  var detector = null;
  var stream = null;
  var timer = null;

  function stop(keep) {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.hidden = true;
    button.textContent = "Use camera";
    button.setAttribute("aria-pressed", "false");
    if (!keep) {
      try { sessionStorage.removeItem(KEEP); } catch (e) { /* storage may be off */ }
    }
  }

  function look() {
    detector.detect(video).then(function (codes) {
      var found = codes.length ? codes[0].rawValue : "";
      if (found) {
        stop(true);
        input.value = found;
        said.textContent = "Read " + found;
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
        return;
      }
      timer = setTimeout(look, 150);
    }, function () {
      timer = setTimeout(look, 300); // the video may not have a frame yet
    });
  }

  function start() {
    said.textContent = "Opening the camera…";
    media.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      button.textContent = "Stop camera";
      button.setAttribute("aria-pressed", "true");
      said.textContent = "Point the camera at a barcode.";
      try { sessionStorage.setItem(KEEP, "1"); } catch (e) { /* storage may be off */ }
      var playing = video.play();
      if (playing && playing.catch) {
        playing.catch(function () { /* muted inline video: play is allowed */ });
      }
      look();
    }, function (err) {
      stop(false);
      said.textContent = "The camera could not be opened (" + (err && err.name || "error") +
        "): type or scan the code instead.";
      input.focus();
    });
  }

  button.addEventListener("click", function () {
    if (stream) {
      stop(false);
      said.textContent = "";
      input.focus();
    } else {
      start();
    }
  });

  var formats = window.BarcodeDetector.getSupportedFormats
    ? window.BarcodeDetector.getSupportedFormats()
    : Promise.resolve([]);
  formats.then(function (list) {
    if (!list || !list.length) {
      return; // the API without any format: no camera button
    }
    detector = new window.BarcodeDetector({ formats: list });
    button.hidden = false;
    var kept = false;
    try { kept = sessionStorage.getItem(KEEP) === "1"; } catch (e) { /* storage may be off */ }
    if (kept) {
      start();
    }
  }, function () { /* no formats: no button */ });
})();
