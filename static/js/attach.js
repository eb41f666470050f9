// A post editor's files: an "Vedhæft fil" button, drag-and-drop onto the editor's text, and
// the chosen files listed, each with a remove button. Progressive: without JavaScript (or
// without DataTransfer, which lets a script set a file input's files) the plain file field
// does the same job. Every file goes in the form's own file input, so the form is sent as it
// would be without this script. No inline script (the CSP forbids it): texts and limits come
// from the field's data-* attributes (templates/_macros/topics.html, attach_field).
(function () {
  "use strict";

  function canSetFiles() {
    try {
      return typeof DataTransfer === "function" && !!new DataTransfer().items;
    } catch (error) {
      return false;
    }
  }
  if (!canSetFiles()) return;

  var numbers = new Intl.NumberFormat(document.documentElement.lang || "da", {
    maximumFractionDigits: 1,
  });

  function size(bytes) {
    if (bytes < 1000 * 1000) return numbers.format(Math.max(1, Math.round(bytes / 1000))) + " kB";
    return numbers.format(Math.round(bytes / 100000) / 10) + " MB";
  }

  function sameFile(a, b) {
    return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
  }

  function setUp(box) {
    var input = box.querySelector('input[type="file"]');
    var form = box.closest("form");
    if (!input || !form) return;
    var text = form.querySelector("textarea.editor-text");
    var data = box.dataset;
    var maxFiles = parseInt(data.maxFiles, 10) || 10;
    var maxBytes = parseInt(data.maxBytes, 10) || 25 * 1024 * 1024;
    var chosen = [];
    var refusedBefore = box.classList.contains("has-error"); // the server's errors stay shown

    // The native field stays in the form (it carries the files) but out of sight and out of
    // the tab order; its label now names the button.
    input.classList.add("visually-hidden");
    input.tabIndex = -1;
    input.setAttribute("aria-hidden", "true");

    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-small button-quiet attach-button";
    button.id = input.id + "-button";
    button.textContent = data.labelButton || "+";
    var describedBy = input.getAttribute("aria-describedby");
    if (describedBy) button.setAttribute("aria-describedby", describedBy);
    var label = box.querySelector('label[for="' + input.id + '"]');
    if (label) label.setAttribute("for", button.id);
    input.insertAdjacentElement("afterend", button);
    // A refused file: the button, not the hidden field, takes the focus forum.js (or the
    // field's autofocus) gives the first error.
    var invalid = input.getAttribute("aria-invalid") === "true";
    input.removeAttribute("aria-invalid");
    input.removeAttribute("autofocus");
    if (document.activeElement === input) button.focus();
    if (invalid) {
      window.addEventListener("load", function () {
        window.setTimeout(function () {
          var active = document.activeElement;
          if (!active || active === document.body || active === input) button.focus();
        }, 0);
      });
    }

    if (data.dropHint && text) {
      var hint = box.querySelector(".hint");
      if (hint) hint.appendChild(document.createTextNode(" " + data.dropHint));
    }

    var list = document.createElement("ul");
    list.className = "attach-list";
    list.setAttribute("aria-label", data.labelChosen || "");
    list.hidden = true;
    button.insertAdjacentElement("afterend", list);

    // Says how many files are chosen after each change, for screen readers.
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    list.insertAdjacentElement("afterend", status);

    // The "no personal data" tick matters only once there are files (kept in view when it is
    // ticked or has an error).
    var confirm = box.querySelector(".attach-confirm");
    var confirmInput = confirm && confirm.querySelector("input[type=checkbox]");
    var confirmNeeded = !!confirm &&
      (!!confirm.querySelector(".field-errors") || !!(confirmInput && confirmInput.checked));

    if (confirm) confirm.hidden = !confirmNeeded;
    var again = box.querySelector(".attach-again");

    var problem = document.createElement("p");
    problem.className = "attach-problem";
    problem.setAttribute("role", "alert");
    problem.hidden = true;
    status.insertAdjacentElement("afterend", problem);

    function tooBig() {
      var total = chosen.reduce(function (sum, file) { return sum + file.size; }, 0);
      if (chosen.length > maxFiles) return data.tooMany || "";
      if (total > maxBytes) return data.tooLarge || "";
      return "";
    }

    function say(message) {
      problem.textContent = message;
      problem.hidden = !message;
      box.classList.toggle("has-error", refusedBefore || !!message);
    }

    function sync(focusAfter) {
      var transfer = new DataTransfer();
      chosen.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      render(focusAfter);
      say(tooBig());
    }

    function render(focusAfter) {
      list.textContent = "";
      chosen.forEach(function (file, index) {
        var item = document.createElement("li");
        item.className = "attach-item";
        var name = document.createElement("span");
        name.className = "file-name";
        name.textContent = file.name;
        var meta = document.createElement("span");
        meta.className = "topic-meta";
        meta.textContent = size(file.size);
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link-button attach-remove";
        remove.textContent = data.labelRemove || "×";
        remove.setAttribute("aria-label", (data.labelRemoveFile || "{name}").replace("{name}", file.name));
        remove.addEventListener("click", function () {
          chosen.splice(index, 1);
          // Focus stays in the list (the next file's button), or returns to "Vedhæft fil".
          sync(Math.min(index, chosen.length - 1));
        });
        item.append(name, " ", meta, " ", remove);
        list.appendChild(item);
      });
      list.hidden = chosen.length === 0;
      if (confirm) confirm.hidden = chosen.length === 0 && !confirmNeeded;
      if (again) again.hidden = chosen.length > 0; // "choose them again": done
      status.textContent = chosen.length === 0
        ? (data.labelNone || "")
        : chosen.length === 1
          ? (data.labelOne || "1")
          : (data.labelMany || "{n}").replace("{n}", String(chosen.length));
      if (focusAfter !== undefined) {
        var buttons = list.querySelectorAll(".attach-remove");
        (focusAfter >= 0 && buttons[focusAfter] ? buttons[focusAfter] : button).focus();
      }
    }

    function add(files) {
      Array.prototype.forEach.call(files, function (file) {
        if (!chosen.some(function (known) { return sameFile(known, file); })) chosen.push(file);
      });
      sync();
    }

    // Choosing again adds to the files already chosen (the browser's picker would replace them).
    input.addEventListener("change", function () {
      var picked = Array.prototype.slice.call(input.files || []);
      add(picked);
    });
    button.addEventListener("click", function () { input.click(); });

    function carriesFiles(event) {
      var types = event.dataTransfer && event.dataTransfer.types;
      return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
    }

    [text, box].forEach(function (target) {
      if (!target) return;
      target.addEventListener("dragover", function (event) {
        if (!carriesFiles(event)) return; // dragged text is the textarea's own business
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        target.classList.add("is-dropping");
      });
      target.addEventListener("dragleave", function () { target.classList.remove("is-dropping"); });
      target.addEventListener("drop", function (event) {
        target.classList.remove("is-dropping");
        if (!carriesFiles(event) || !event.dataTransfer.files.length) return;
        event.preventDefault(); // not the browser opening the file instead of the forum
        add(event.dataTransfer.files);
      });
    });

    // Over the limits nothing is sent (the text would be lost to a refusal by size).
    form.addEventListener("submit", function (event) {
      var message = tooBig();
      if (message) {
        event.preventDefault();
        event.stopImmediatePropagation();
        say(message);
        button.focus();
      }
    });
  }

  document.querySelectorAll("[data-attach]").forEach(setUp);
})();
