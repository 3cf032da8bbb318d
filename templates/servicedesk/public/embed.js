/* Admin24 request form: makes every frame of ours on this page as tall as its content. */
(function () {
  var origin = "{{ request.scheme }}://{{ request.get_host|escapejs }}";
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.type !== "admin24:height") { return; }
    var frames = document.querySelectorAll("iframe[data-admin24-form]");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.ceil(Number(event.data.height) || 0) + 24 + "px";
        // A page sent from the frame (the confirmation, or the form with its errors) starts at
        // the frame's top, which the visitor has usually scrolled past while filling the form.
        if (event.data.loaded && frames[i].hasAttribute("data-admin24-shown") && frames[i].getBoundingClientRect().top < 0) {
          frames[i].scrollIntoView({block: "start"});
        }
        if (event.data.loaded) { frames[i].setAttribute("data-admin24-shown", ""); }
      }
    }
  });
})();
