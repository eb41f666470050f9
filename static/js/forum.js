// Progressive enhancement only: every feature here also works without JavaScript
// (previews and quotes round-trip through the server). No inline script: the CSP forbids it.
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]');
  csrf = csrf ? csrf.getAttribute("content") : "";

  // Ask before deleting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Live preview below each editor, through the same server-side pipeline as posts.
  document.querySelectorAll("textarea[data-preview-url]").forEach(function (textarea) {
    var box = document.querySelector('[data-preview-for="' + textarea.id + '"]');
    if (!box) return;
    var timer = null;
    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        if (!textarea.value.trim()) {
          box.classList.add("is-empty");
          return;
        }
        var body = new URLSearchParams({ body: textarea.value, csrf_token: csrf });
        fetch(textarea.getAttribute("data-preview-url"), {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrf },
        })
          .then(function (response) { return response.ok ? response.text() : ""; })
          .then(function (html) {
            var inner = box.querySelector(".post-body");
            if (!inner) {
              box.innerHTML = "";
              inner = document.createElement("div");
              inner.className = "post-body";
              box.appendChild(inner);
            }
            // The server returns sanitised HTML from forum/markup.py.
            inner.innerHTML = html;
            box.classList.toggle("is-empty", !html);
          })
          .catch(function () { /* preview is a nicety; writing goes on */ });
      }, 400);
    });
  });

  // Experience posts start from their fixed shape when the kind is switched to it.
  var newForm = document.querySelector("form[data-experience-template]");
  if (newForm) {
    var kind = newForm.querySelector("select[name=kind]");
    var body = newForm.querySelector("textarea[name=body]");
    var template = newForm.getAttribute("data-experience-template");
    if (kind && body) {
      kind.addEventListener("change", function () {
        if (kind.value === "experience" && !body.value.trim()) {
          body.value = template;
        } else if (kind.value !== "experience" && body.value === template) {
          body.value = "";
        }
      });
    }
  }
})();
