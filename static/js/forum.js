// Progressive enhancement only: every feature here also works without JavaScript
// (previews and quotes round-trip through the server). No inline script: the CSP forbids it.
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]');
  csrf = csrf ? csrf.getAttribute("content") : "";

  // A link to a folded <details> (the menu's "Regioner og temaer" goes to #omraader) opens it.
  function openTarget() {
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && target.tagName === "DETAILS") target.open = true;
  }
  openTarget();
  window.addEventListener("hashchange", openTarget);

  // A form that came back with an error: focus its first error. (autofocus does this without
  // JavaScript, but browsers skip autofocus when the URL's fragment, such as #svar, names an
  // element, and that fragment is what brings the form into view.)
  // Done after load: scrolling to the fragment would otherwise take the focus back.
  window.addEventListener("load", function () {
    var firstError = document.querySelector('[aria-invalid="true"], .form-errors');
    if (firstError && (document.activeElement === document.body || !document.activeElement)) {
      window.setTimeout(function () { firstError.focus(); }, 0);
    }
  });

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

  // "Citér" adds the quote to the reply being written instead of reloading the page (the
  // link itself, without JavaScript, opens the topic with the quote in the reply box).
  var replyBox = document.querySelector("#svar textarea[name=body]");
  var replyTo = document.getElementById("reply-to");
  // "Svar" on a post: the reply is to that post (its writer is told), without a reload.
  document.querySelectorAll("a.reply-link[data-reply-to]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!replyBox) return;
      event.preventDefault();
      if (replyTo) replyTo.value = link.getAttribute("data-reply-to");
      replyBox.focus();
      replyBox.scrollIntoView({ block: "center" });
    });
  });
  document.querySelectorAll("a[data-quote-url]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!replyBox) return;
      event.preventDefault();
      if (replyTo) replyTo.value = link.getAttribute("data-reply-to") || "";
      fetch(link.getAttribute("data-quote-url"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (quoted) {
          if (!quoted) return;
          var before = replyBox.value.replace(/\s+$/, "");
          replyBox.value = (before ? before + "\n\n" : "") + quoted;
          replyBox.dispatchEvent(new Event("input", { bubbles: true }));
          replyBox.focus();
          replyBox.scrollIntoView({ block: "center" });
        });
    });
  });

  // Leaving a page with unsaved writing asks first.
  var dirty = false;
  document.querySelectorAll("form textarea, form input[name=title]").forEach(function (field) {
    field.addEventListener("input", function () { dirty = true; });
  });
  document.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
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
  // "Tak" without reloading the page: the same form, sent with fetch; the server answers with
  // the new count. Without JavaScript (or if the fetch fails) the form posts as usual.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("thanks-form") || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector(".thanks-button");
    var wish = form.querySelector('input[name="tak"]');
    var count = form.parentNode.querySelector(".thanks-count");
    if (button) button.disabled = true;
    window.fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "fetch", "X-CSRFToken": csrf }
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).then(function (data) {
      if (button) button.setAttribute("aria-pressed", data.thanked ? "true" : "false");
      if (wish) wish.value = data.thanked ? "0" : "1";
      if (count) {
        count.textContent = String(data.count);
        count.classList.toggle("is-empty", !data.count);
      }
    }).catch(function () {
      form.submit();
    }).then(function () {
      if (button) button.disabled = false;
    });
  });
})();
