// "@" plus a few letters in an editor suggests members to mention (a listbox under the box).
// Progressive: without JavaScript "@username" typed by hand works just the same. No inline
// script (the CSP forbids it); the endpoint comes from the textarea's data-mention-url.
(function () {
  "use strict";

  if (!window.fetch) return;

  // The "@word" just before the caret: not after a letter, digit or e-mail/URL character,
  // and letters of any language, since a display name ("@Sør") finds a member too.
  var TOKEN = /(?:^|[^\p{L}\p{N}@.\/+\-_])@([\p{L}\p{N}][\p{L}\p{N}\-]{0,59})$/u;
  var DELAY = 150;

  function setUp(textarea) {
    var url = textarea.getAttribute("data-mention-url");
    var list = document.createElement("ul");
    list.id = textarea.id + "-mentions";
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", textarea.getAttribute("data-mention-label") || "@");
    list.hidden = true;
    textarea.insertAdjacentElement("afterend", list);
    // A textarea may not carry aria-expanded (axe: aria-allowed-attr), so a polite status
    // says when suggestions open; the listbox and aria-activedescendant do the rest.
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    list.insertAdjacentElement("afterend", status);
    var statusText = textarea.getAttribute("data-mention-status") || "{n}";
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-haspopup", "listbox");
    textarea.setAttribute("aria-controls", list.id);

    var timer = null;
    var asked = 0; // numbers the requests, so a slow old answer cannot replace a newer one
    var token = null; // {start, end} of the "@word" being completed
    var members = [];
    var active = -1;

    function close() {
      window.clearTimeout(timer);
      asked += 1;
      list.hidden = true;
      list.textContent = "";
      members = [];
      active = -1;
      token = null;
      status.textContent = "";
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var options = list.querySelectorAll('[role="option"]');
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      textarea.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function show(found) {
      members = found;
      list.textContent = "";
      if (!found.length) {
        close();
        return;
      }
      found.forEach(function (member, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.className = "mention-option";
        var name = document.createElement("span");
        name.className = "mention-name";
        name.textContent = member.display_name;
        var username = document.createElement("span");
        username.className = "mention-username";
        username.textContent = "@" + member.username;
        option.appendChild(name);
        option.appendChild(document.createTextNode(" "));
        option.appendChild(username);
        if (member.affiliation) {
          var place = document.createElement("span");
          place.className = "mention-affiliation";
          place.textContent = member.affiliation;
          option.appendChild(document.createTextNode(" "));
          option.appendChild(place);
        }
        // mousedown would take the focus from the textarea before the click arrives.
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { choose(i); });
        list.appendChild(option);
      });
      list.hidden = false;
      status.textContent = statusText.replace("{n}", String(found.length));
      highlight(0);
    }

    function choose(index) {
      var member = members[index];
      if (!member || !token) return;
      var value = textarea.value;
      var inserted = "@" + member.username + " ";
      var after = value.slice(token.end).replace(/^ /, "");
      textarea.value = value.slice(0, token.start) + inserted + after;
      var caret = token.start + inserted.length;
      close();
      textarea.focus();
      textarea.setSelectionRange(caret, caret);
      // The live preview (forum.js) and the unsaved-writing guard listen for input.
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function lookUp() {
      var caret = textarea.selectionEnd;
      if (textarea.selectionStart !== caret) return close();
      var match = TOKEN.exec(textarea.value.slice(0, caret));
      if (!match) return close();
      var word = match[1];
      var found = { start: caret - word.length - 1, end: caret };
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var mine = ++asked;
        fetch(url + "?q=" + encodeURIComponent(word), {
          credentials: "same-origin",
          headers: { "Accept": "application/json" },
        })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (result) {
            if (mine !== asked) return;
            token = found;
            show(Array.isArray(result) ? result : []);
          })
          .catch(function () { if (mine === asked) close(); });
      }, DELAY);
    }

    textarea.addEventListener("input", lookUp);
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active - 1);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    // Moving the caret elsewhere or leaving the box ends the suggestion.
    textarea.addEventListener("click", close);
    textarea.addEventListener("blur", close);
  }

  document.querySelectorAll("textarea[data-mention-url][id]").forEach(setUp);
})();
