// Presence on a conversation's page (docs/inbox.md, "Working together"). The page tells the server it is
// open every data-presence-ms (a heartbeat), that its person is typing (at the first key, then at most
// every few seconds while they type), and that they left (a beacon when the page goes away). Each answer
// is the fresh list of who else is there, put in place of #presence; other pages hear a presence event
// when what they would show changed (live.js). The server keeps it in the database with a short TTL, so
// a closed tab simply fades out and every web process agrees.
(function () {
  "use strict";
  var TYPING_EVERY_MS = 3000;
  var holder = document.querySelector("[data-presence-url]");
  if (!holder || !window.fetch) return;
  var url = holder.getAttribute("data-presence-url");
  var every = parseInt(holder.getAttribute("data-presence-ms"), 10) || 10000;
  var lastTyped = 0, lastTypingSent = 0, timer = null;
  var stats = (window.mostradorPresence = { beats: 0, typing: 0 });

  function csrf() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }
  function body(state) {
    var data = new URLSearchParams();
    data.set("state", state);
    data.set("csrf_token", csrf());
    return data;
  }
  function send(state) {
    stats.beats += 1;
    return fetch(url, { method: "POST", credentials: "same-origin", body: body(state),
      headers: { "x-csrf-token": csrf() } }).then(function (r) {
      if (!r.ok) return;
      return r.text().then(function (html) {
        var now = document.getElementById("presence");
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("presence");
        if (now && next) now.replaceWith(next);
      });
    }).catch(function () { /* the next beat tries again */ });
  }
  function beat() {
    send(Date.now() - lastTyped < TYPING_EVERY_MS ? "typing" : "viewing");
    timer = setTimeout(beat, every);
  }
  document.addEventListener("input", function (e) {
    if (!e.isTrusted || !e.target.closest || !e.target.closest("form")) return; // restored text is not typing
    var field = e.target;
    if (field.tagName !== "TEXTAREA" && field.type !== "text") return;
    lastTyped = Date.now();
    if (lastTyped - lastTypingSent >= TYPING_EVERY_MS) {
      lastTypingSent = lastTyped;
      stats.typing += 1;
      send("typing");
    }
  });
  window.addEventListener("pagehide", function () {
    clearTimeout(timer);
    if (navigator.sendBeacon) {
      var data = new FormData();
      data.set("state", "gone");
      data.set("csrf_token", csrf());
      navigator.sendBeacon(url, data);
    }
  });
  beat();
})();
