// In a frame (the form embedded in a client's site), tell the embedding page how tall we are, so
// its frame grows and shrinks with the content (the other half is the embed code's embed.js).
// The body's height, not the document's: a document is never shorter than its frame, so the
// confirmation after a long form would keep the form's height below it.
(function () {
  "use strict";
  function report(loaded) {
    parent.postMessage({type: "admin24:height", height: document.body.scrollHeight, loaded: loaded === true}, "*");
  }
  window.addEventListener("load", function () { report(true); });
  if (window.ResizeObserver) { new ResizeObserver(report).observe(document.body); }
  else { window.addEventListener("resize", report); }
})();
