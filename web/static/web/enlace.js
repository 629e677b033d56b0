/* Enlace's only script: live search, the language switch, printing. Pages work without it. */
(function () {
  "use strict";

  function liveSearch(form) {
    var input = form.querySelector("input[type=search]");
    var panel = document.getElementById(form.getAttribute("data-results"));
    var status = document.getElementById(form.getAttribute("data-status"));
    if (!input || !panel) { return; }
    var timer = null;
    var latest = 0;

    function clear() {
      panel.innerHTML = "";
    }

    function run() {
      var query = input.value.trim();
      if (query.length < 2) { clear(); return; }
      var ticket = ++latest;
      var url = form.getAttribute("action") + "?partial=1&q=" + encodeURIComponent(query);
      fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (ticket !== latest) { return; }
          panel.innerHTML = html;
          if (status) {
            var count = panel.querySelectorAll("li").length;
            status.textContent = panel.getAttribute("data-count-template").replace("%s", String(count));
          }
        })
        .catch(function () { /* offline: the full search page still works on Enter */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 180);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { clear(); }
      if (event.key === "ArrowDown") {
        var first = panel.querySelector("a");
        if (first) { event.preventDefault(); first.focus(); }
      }
    });
    panel.addEventListener("keydown", function (event) {
      var links = Array.prototype.slice.call(panel.querySelectorAll("a"));
      var index = links.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && index < links.length - 1) { event.preventDefault(); links[index + 1].focus(); }
      if (event.key === "ArrowUp") { event.preventDefault(); (index > 0 ? links[index - 1] : input).focus(); }
      if (event.key === "Escape") { clear(); input.focus(); }
    });
    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) { clear(); }
    });
  }

  function autoSubmit(select) {
    select.addEventListener("change", function () { select.form.submit(); });
    var button = select.form.querySelector("[data-hide-with-js]");
    if (button) { button.classList.add("visually-hidden"); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-live-search]"), liveSearch);
    Array.prototype.forEach.call(document.querySelectorAll("select[data-auto-submit]"), autoSubmit);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
