// Keyboard shortcuts of the reviewers' pages (no inline script: the Content-Security-Policy forbids it).
// j / k: next / previous line of a list; Enter opens it; /: the reference search; r / h: release / hold.
(function () {
  "use strict";

  function typing(target) {
    var name = target && target.tagName;
    return name === "INPUT" || name === "TEXTAREA" || name === "SELECT" || (target && target.isContentEditable);
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr.queue-row"));
  }

  function select(step) {
    var all = rows();
    if (!all.length) { return; }
    var current = all.findIndex(function (row) { return row.classList.contains("selected"); });
    var next = current < 0 ? 0 : Math.min(all.length - 1, Math.max(0, current + step));
    if (current >= 0) { all[current].classList.remove("selected"); }
    all[next].classList.add("selected");
    var link = all[next].querySelector("[data-queue-link]");
    if (link) { link.focus(); }
  }

  function choose(decision) {
    var radio = document.getElementById("decision-" + decision);
    if (!radio) { return; }
    radio.checked = true;
    showReasons(decision);
    var reason = document.getElementById("reason_code");
    if (reason) { reason.focus(); }
  }

  function showReasons(decision) {
    var groups = document.querySelectorAll("#reason_code optgroup");
    Array.prototype.forEach.call(groups, function (group) {
      var fits = group.getAttribute("data-decision") === decision;
      group.disabled = !fits;
      group.hidden = !fits;
    });
    var reason = document.getElementById("reason_code");
    if (reason && reason.selectedOptions.length && reason.selectedOptions[0].parentNode.disabled) {
      reason.value = "";
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "decision") { showReasons(event.target.value); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var handled = true;
    switch (event.key) {
      case "j": select(1); break;
      case "k": select(-1); break;
      case "r": choose("release"); break;
      case "h": choose("hold"); break;
      case "/":
        var search = document.getElementById("search");
        if (search) { search.focus(); search.select(); } else { handled = false; }
        break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });
}());
