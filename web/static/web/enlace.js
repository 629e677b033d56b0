/* Enlace's only script: live search (the catalog, agency fields), the coverage matrix's arrow keys, printing. Pages work without it. */
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

  // An agency (or a list of them) typed by slug or acronym: its <datalist> shows the agencies that the agency
  // search (the API's ?q=) finds for what is typed; the server-side list comes back when the
  // input is cleared. The server validates whatever is sent.
  function agencySuggestions(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-agency-search");
    if (!list || !url) { return; }
    var initial = Array.prototype.slice.call(list.children);
    var spanish = (document.documentElement.lang || "").indexOf("es") === 0;
    var timer = null;
    var latest = 0;

    function show(options) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      options.forEach(function (option) { list.appendChild(option); });
    }

    // A list of agencies (data-agency-multiple): search for the last one typed, and let a
    // suggestion complete the list rather than replace it.
    var multiple = input.hasAttribute("data-agency-multiple");

    function run() {
      var typed = input.value;
      var cut = multiple ? Math.max(typed.lastIndexOf(","), typed.lastIndexOf(" ")) + 1 : 0;
      var before = multiple && cut > 0 ? typed.slice(0, cut).replace(/[\s,]+$/, "") + ", " : "";
      var query = typed.slice(cut).trim();
      if (query.length < 2) {
        show(initial.map(function (option) {
          var copy = option.cloneNode(true);
          copy.value = before + option.value;
          return copy;
        }));
        return;
      }
      var ticket = ++latest;
      fetch(url + "?limit=10&q=" + encodeURIComponent(query), {
        headers: { "Accept": "application/json" }, credentials: "same-origin"
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (ticket !== latest || !data || !data.results) { return; }
          show(data.results.map(function (agency) {
            var option = document.createElement("option");
            var name = spanish && agency.name_es ? agency.name_es : agency.name;
            option.value = before + agency.slug;
            option.textContent = agency.acronym ? agency.acronym + " – " + name : name;
            return option;
          }));
        })
        .catch(function () { /* offline: the slug or acronym typed is still checked by the server */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 180);
    });
  }

  // A table marked data-roving (the coverage matrix) is one Tab stop: its links leave the Tab
  // order but the one last focused, and the arrow keys move to the next cell with a link in
  // their direction (Home and End: the row's first and last). Without the script every link
  // is in the Tab order, as any page's.
  function rovingTable(table) {
    var links = Array.prototype.slice.call(table.querySelectorAll("a"));
    if (!links.length) { return; }
    var current = links[0];
    links.forEach(function (link) { link.tabIndex = link === current ? 0 : -1; });
    var rows = Array.prototype.slice.call(table.rows);

    function linkAt(row, column) {
      var cell = rows[row] && rows[row].cells[column];
      return cell ? cell.querySelector("a") : null;
    }

    table.addEventListener("focusin", function (event) {
      var link = event.target.closest("a");
      if (!link || link === current) { return; }
      current.tabIndex = -1;
      current = link;
      current.tabIndex = 0;
    });
    table.addEventListener("keydown", function (event) {
      var cell = event.target.closest("td, th");
      if (!cell || event.altKey || event.ctrlKey || event.metaKey) { return; }
      var row = rows.indexOf(cell.parentElement);
      var column = cell.cellIndex;
      var width = cell.parentElement.cells.length;
      var target = null;
      var step = { ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0] }[event.key];
      if (step) {
        for (var r = row + step[0], c = column + step[1]; r >= 0 && r < rows.length && c >= 0 && c < width && !target; r += step[0], c += step[1]) {
          target = linkAt(r, c);
        }
      } else if (event.key === "Home" || event.key === "End") {
        var inRow = cell.parentElement.querySelectorAll("a");
        target = inRow[event.key === "Home" ? 0 : inRow.length - 1] || null;
      } else {
        return;
      }
      event.preventDefault();
      if (target) { target.focus(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-live-search]"), liveSearch);
    Array.prototype.forEach.call(document.querySelectorAll("input[data-agency-search]"), agencySuggestions);
    Array.prototype.forEach.call(document.querySelectorAll("table[data-roving]"), rovingTable);
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
