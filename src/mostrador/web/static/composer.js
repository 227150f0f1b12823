// The reply composer: insert a template at the cursor, count characters, and ask the server's guard
// (the same check that runs before posting) while the agent types. Works on every textarea with
// data-check-url; without JavaScript the forms still post and the server still checks.
(function () {
  function csrf(form) {
    var field = form && form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }
  function output(area) {
    var form = area.closest("form");
    return form && form.querySelector("[data-check-output]");
  }
  function ask(area) {
    var out = output(area);
    if (!out) return;
    // Only the newest question's answer is shown: an older one arriving late must not overwrite it.
    var asked = (Number(area.dataset.checkSeq) || 0) + 1;
    area.dataset.checkSeq = String(asked);
    var body = new URLSearchParams({ text: area.value });
    fetch(area.getAttribute("data-check-url"), {
      method: "POST",
      headers: { "x-csrf-token": csrf(area.closest("form")), "content-type": "application/x-www-form-urlencoded" },
      body: body,
      credentials: "same-origin",
    })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (html && Number(area.dataset.checkSeq) === asked) out.innerHTML = html;
      })
      .catch(function () {});
  }
  function wire(area) {
    if (area.dataset.composerWired) return;
    area.dataset.composerWired = "1";
    var timer = null;
    area.addEventListener("input", function () {
      var out = output(area);
      if (out && !out.innerHTML) out.textContent = area.value.length + " / " + area.getAttribute("maxlength");
      clearTimeout(timer);
      timer = setTimeout(function () { ask(area); }, 350);
    });
    if (area.value) ask(area);
  }
  var templateTexts = null;
  function templateText(id) {
    if (templateTexts === null) {
      var holder = document.getElementById("reply-templates");
      templateTexts = holder ? JSON.parse(holder.textContent) : {};
    }
    return templateTexts[id];
  }
  function insert(select) {
    var option = select.options[select.selectedIndex];
    var area = select.closest("form").querySelector("textarea");
    var text = option ? templateText(option.value) : null;
    if (!text || !area) return;
    var start = area.selectionStart || 0, end = area.selectionEnd || 0;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.focus();
    area.selectionStart = area.selectionEnd = start + text.length;
    area.dispatchEvent(new Event("input"));
    select.selectedIndex = 0;
  }
  function scan(root) {
    (root || document).querySelectorAll("textarea[data-check-url]").forEach(wire);
    (root || document).querySelectorAll("select.template-picker").forEach(function (s) {
      if (s.dataset.composerWired) return;
      s.dataset.composerWired = "1";
      s.addEventListener("change", function () { insert(s); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { scan(); });
  document.addEventListener("htmx:afterSwap", function (e) { scan(e.target); });
  document.addEventListener("mostrador:refreshed", function (e) { scan(e.target); });
})();
