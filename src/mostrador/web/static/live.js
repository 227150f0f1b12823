// The inbox's live updates (docs/inbox.md). The page listens to its workspace's events on
// /inbox/events (Server-Sent Events) and re-reads the parts of itself that declare they are live:
//
//   data-live-region (with an id)   re-read when anything changes in the workspace; the element with
//                                   the same id in the freshly rendered page replaces it
//   data-live-thread="<id>"         ... only when that conversation changed
//   data-live-along                 never asks for a refresh, but is replaced whenever its page is re-read
//   data-live-presence="<id>"       re-read only on presence events of that conversation (who is viewing
//                                   or typing); presence events re-read nothing else
//   data-live-src="<url>"           (on the region or an ancestor) the page to re-read; default: this one
//
// What the agent typed survives a refresh, with the focus and the selection: a field the agent changed
// (or a file input with files chosen) is carried into its counterpart in the new region, found by its
// form's action, its name and the form's hidden fields (a question's id), not by position. Events carry
// ids and kinds only; what is shown comes from the server's escaped templates. If the stream cannot be
// opened, the page polls every data-live-fallback-ms instead.
(function () {
  "use strict";
  var body = document.body;
  var url = body && body.getAttribute("data-live-url");
  if (!url || !window.htmx) return;
  var fallbackMs = parseInt(body.getAttribute("data-live-fallback-ms"), 10) || 5000;
  var cursor = body.getAttribute("data-live-after") || "";
  var DEBOUNCE_MS = 120; // a burst of events (a question, its bot answer, its send) is one refresh
  var stats = (window.mostradorLive = { events: 0, refreshes: 0, polls: 0, state: "starting" });
  var source = null, pollTimer = null, retryTimer = null, flushTimer = null, retries = 0;
  var busy = false, pending = fresh();

  function fresh() { return { all: false, any: false, threads: {}, presence: {} }; }
  function regions() { return Array.prototype.slice.call(document.querySelectorAll("[data-live-region][id]")); }
  function srcOf(el) {
    var holder = el.closest("[data-live-src]");
    return holder ? holder.getAttribute("data-live-src") : location.pathname + location.search;
  }
  function wants(el, p) {
    if (el.hasAttribute("data-live-along")) return false;
    var present = el.getAttribute("data-live-presence");
    if (present) return p.all || !!p.presence[present];
    var thread = el.getAttribute("data-live-thread");
    return p.all || (thread ? !!p.threads[thread] : p.any);
  }

  function note(change) {
    if (change.all) pending.all = true;
    else if (change.kind === "presence") {
      // Someone arrived, typed or left: only the conversation's presence line is re-read, not lists.
      if (change.conversation != null) pending.presence[change.conversation] = true;
    } else {
      pending.any = true;
      if (change.conversation != null) pending.threads[change.conversation] = true;
    }
    if (!flushTimer) flushTimer = setTimeout(flush, DEBOUNCE_MS);
  }

  function flush() {
    flushTimer = null;
    if (busy) { flushTimer = setTimeout(flush, DEBOUNCE_MS); return; }
    var p = pending, all = regions(), sources = {};
    pending = fresh();
    all.forEach(function (el) { if (wants(el, p)) sources[srcOf(el)] = true; });
    var urls = Object.keys(sources);
    if (!urls.length) return;
    busy = true;
    Promise.all(urls.map(function (src) {
      return reread(src, all.filter(function (el) { return srcOf(el) === src; }));
    })).then(done, done);
  }
  function done() { busy = false; }

  function reread(src, els) {
    return fetch(src, { credentials: "same-origin", headers: { "X-Mostrador-Live": "1" } }).then(function (r) {
      if (r.redirected && new URL(r.url).pathname === "/login") { location.reload(); return; }
      if (!r.ok) return;
      return r.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        els.forEach(function (el) {
          var now = document.getElementById(el.id), next = page.getElementById(el.id);
          if (!now || !next) return;
          var typed = capture(now);
          htmx.swap(now, next.outerHTML, { swapStyle: "outerHTML", ignoreTitle: true });
          restore(document.getElementById(el.id), typed);
        });
        stats.refreshes += 1;
        body.dispatchEvent(new CustomEvent("mostrador:refreshed", { detail: { src: src } }));
      });
    });
  }

  // ---- what the agent is typing --------------------------------------------------------------------
  var FIELDS = "textarea, input:not([type=hidden]):not([type=submit]):not([type=button]), select";
  function keyOf(field) {
    var form = field.form, hidden = [];
    if (form) {
      Array.prototype.forEach.call(form.querySelectorAll("input[type=hidden]"), function (h) {
        if (h.name !== "csrf_token" && h.name !== "reply_key" && h.name !== "seen") hidden.push(h.name + "=" + h.value);
      });
    }
    return (form ? form.getAttribute("action") : "") + "|" + field.name + "|" + hidden.join("&");
  }
  function changed(field) {
    if (field.type === "file") return field.files && field.files.length > 0;
    if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    return field.value !== field.defaultValue;
  }
  function capture(region) {
    var typed = [];
    Array.prototype.forEach.call(region.querySelectorAll(FIELDS), function (f) {
      var focused = document.activeElement === f, dirty = changed(f);
      if (!f.name || !(dirty || focused)) return;
      typed.push({ key: keyOf(f), field: f, dirty: dirty, value: f.value, checked: f.checked, focused: focused,
        start: focused ? f.selectionStart : null, end: focused ? f.selectionEnd : null });
    });
    return typed;
  }
  function restore(region, typed) {
    if (!region) return;
    var byKey = {};
    Array.prototype.forEach.call(region.querySelectorAll(FIELDS), function (f) { if (f.name) byKey[keyOf(f)] = f; });
    typed.forEach(function (t) {
      var f = byKey[t.key];
      if (!f) return; // answered or gone meanwhile: the new page says so
      if (!t.dirty) { /* only the focus to give back */ }
      else if (t.field.type === "file") { f.replaceWith(t.field); f = t.field; } // files cannot be copied
      else if (f.type === "checkbox" || f.type === "radio") f.checked = t.checked;
      else f.value = t.value;
      if (t.focused) {
        f.focus({ preventScroll: true });
        try { if (t.start != null) f.setSelectionRange(t.start, t.end); } catch (e) { /* not a text field */ }
      }
      if (t.dirty) f.dispatchEvent(new Event("input", { bubbles: true })); // counters follow the text
    });
  }

  // ---- the stream, and polling when there is none ---------------------------------------------------
  function heard(e) { if (e.lastEventId) cursor = e.lastEventId; }
  function connect() {
    if (!window.EventSource) { startPolling(); return; }
    var full = url + (cursor ? (url.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(cursor) : "");
    source = new EventSource(full);
    source.addEventListener("ready", function (e) {
      heard(e); retries = 0; stats.state = "live"; stopPolling();
    });
    source.addEventListener("inbox", function (e) {
      heard(e); stats.events += 1; note(JSON.parse(e.data));
    });
    source.addEventListener("reload", function (e) { heard(e); note({ all: true }); });
    source.addEventListener("end", function (e) {
      if (JSON.parse(e.data).reason === "session") { source.close(); location.reload(); }
      // "shutdown": the stream closes and the browser reconnects with Last-Event-ID by itself
    });
    source.onerror = function () {
      if (source && source.readyState === EventSource.CLOSED) { // refused: not a stream (a login page, 503)
        source = null; stats.state = "polling"; startPolling();
        retryTimer = setTimeout(connect, Math.min(60000, 5000 * Math.pow(2, retries++)));
      }
    };
  }
  function startPolling() {
    if (pollTimer) return;
    stats.state = "polling";
    note({ all: true }); // catch up now: whatever happened while the stream was down
    pollTimer = setInterval(function () { stats.polls += 1; note({ all: true }); }, fallbackMs);
  }
  function stopPolling() { if (pollTimer) { clearInterval(pollTimer); pollTimer = null; } }

  // A page with nothing that asks for refreshes (accounts, settings) opens no stream.
  if (regions().some(function (el) { return !el.hasAttribute("data-live-along"); })) connect();
  window.addEventListener("pagehide", function () {
    if (source) source.close();
    if (retryTimer) clearTimeout(retryTimer);
    stopPolling();
  });
})();
