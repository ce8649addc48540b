/* kiprank site: sort a table by a column and filter its rows by name, group and band.
   No dependencies; the pages work without it (every row is in the HTML). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return numeric ? null : ""; }
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (!numeric) { return raw.toLocaleLowerCase(); }
    if (raw === "") { return null; }
    var value = parseFloat(raw);
    return isNaN(value) ? null : value;
  }

  function sortTable(table, index, numeric, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row._order = i; });
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      if (x === null && y === null) { return a._order - b._order; }
      if (x === null) { return 1; }   /* missing values last, whatever the direction */
      if (y === null) { return -1; }
      var c = numeric ? x - y : x.localeCompare(y);
      if (descending) { c = -c; }
      return c !== 0 ? c : a._order - b._order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function setUpSorting(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var current = th.getAttribute("aria-sort");
        /* numbers start high-to-low (best score first), text A-Z */
        var descending = current ? current === "ascending" : numeric;
        Array.prototype.forEach.call(heads, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        sortTable(table, index, numeric, descending);
      });
    });
  }

  function setUpFilter(form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    var count = document.getElementById(form.getAttribute("data-count"));
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    function apply() {
      var name = (form.elements.name ? form.elements.name.value : "").trim().toLocaleLowerCase();
      var group = form.elements.group ? form.elements.group.value : "";
      var band = form.elements.band ? form.elements.band.value : "";
      var shown = 0;
      rows.forEach(function (row) {
        var ok = (!name || (row.getAttribute("data-name") || "").toLocaleLowerCase().indexOf(name) !== -1) &&
          (!group || row.getAttribute("data-group") === group) &&
          (!band || row.getAttribute("data-band") === band);
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      if (count) {
        count.textContent = shown === 0 ? count.getAttribute("data-none") :
          count.getAttribute("data-text").replace("{shown}", String(shown)).replace("{total}", String(rows.length));
      }
    }
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    apply();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), setUpSorting);
    Array.prototype.forEach.call(document.querySelectorAll("form.filters"), setUpFilter);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
