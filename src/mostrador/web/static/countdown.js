// Keeps every due-date countdown on the page current without a reload: elements with data-due
// (an ISO date) show the time left ("4 h 20 min") or how long ago it passed, and turn red when close.
// The words come from the page (#page-words in base.html, in the reader's language).
(function () {
  var said = null;
  function overdue(text) {
    if (said === null) {
      var holder = document.getElementById("page-words");
      try { said = holder ? JSON.parse(holder.textContent) : {}; } catch (e) { said = {}; }
    }
    return (said.overdue || "{time}").replace("{time}", text);
  }
  function words(seconds) {
    var s = Math.abs(seconds), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600),
      m = Math.floor((s % 3600) / 60);
    var text = d ? d + " d " + h + " h" : h ? h + " h " + m + " min" : m + " min";
    return seconds < 0 ? overdue(text) : text;
  }
  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-due")) - Date.now()) / 1000;
      el.textContent = words(Math.round(left));
      el.classList.remove("due-over", "due-soon", "due-later");
      var soon = Number(el.getAttribute("data-soon")) || 86400; // a reply clock: a quarter of its window
      el.classList.add(left < 0 ? "due-over" : left < soon ? "due-soon" : "due-later");
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 30000);
})();
