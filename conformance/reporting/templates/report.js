/* Filters, deep links and copy buttons. Plain JS, no network: the report works from disk.
   The page is complete without this script; it only hides rows and opens <details>.
   Hash parameters (shareable): #level=MUST&status=fail&op=...&tag=...&q=...&expand=REQ-ID */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.req"));
  var groups = Array.prototype.slice.call(document.querySelectorAll(".tag-group"));
  var shown = document.getElementById("shown");
  var empty = document.getElementById("empty-filter");
  var FIELDS = ["level", "status", "op", "tag", "q"];

  function evidenceRow(row) {
    var next = row.nextElementSibling;
    return next && next.classList.contains("evidence") ? next : null;
  }

  function matches(row, f) {
    var d = row.dataset;
    return (!f.level || d.level === f.level) &&
      (!f.status || d.status === f.status) &&
      (!f.tag || d.tag === f.tag) &&
      (!f.op || d.ops.split("|").indexOf(f.op) !== -1) &&
      (!f.q || d.text.indexOf(f.q.toLowerCase().trim()) !== -1);
  }

  function values() {
    var f = {};
    FIELDS.forEach(function (name) { f[name] = form.elements[name].value; });
    return f;
  }

  function apply() {
    var f = values(), visible = 0;
    rows.forEach(function (row) {
      var ok = matches(row, f), ev = evidenceRow(row);
      row.hidden = !ok;
      if (ev) { ev.hidden = !ok; }
      if (ok) { visible += 1; }
    });
    groups.forEach(function (group) {
      group.hidden = !group.querySelector("tr.req:not([hidden])");
    });
    shown.textContent = visible + " of " + rows.length + " shown";
    empty.hidden = visible !== 0;
  }

  function hashParams() {
    var hash = location.hash.slice(1);
    return hash.indexOf("=") === -1 ? null : new URLSearchParams(hash);
  }

  function writeHash() {
    var params = new URLSearchParams(), f = values();
    FIELDS.forEach(function (name) { if (f[name]) { params.set(name, f[name]); } });
    var text = params.toString();
    history.replaceState(null, "", text ? "#" + text : location.pathname + location.search);
  }

  function expand(id) {
    var details = document.getElementById("req-" + id);
    if (!details) { return; }
    var row = document.getElementById("row-" + id);
    if (row && row.hidden) { form.reset(); apply(); }
    details.open = true;
    details.scrollIntoView({ block: "start" });
  }

  function fromHash() {
    var params = hashParams();
    if (!params) {
      var anchor = location.hash.slice(1);
      if (anchor.indexOf("req-") === 0) { expand(anchor.slice(4)); }
      return;
    }
    FIELDS.forEach(function (name) { form.elements[name].value = params.get(name) || ""; });
    apply();
    if (params.get("expand")) { expand(params.get("expand")); }
  }

  form.addEventListener("input", function () { apply(); writeHash(); });
  form.addEventListener("change", function () { apply(); writeHash(); });
  form.addEventListener("reset", function () { setTimeout(function () { apply(); writeHash(); }, 0); });
  window.addEventListener("hashchange", fromHash);

  Array.prototype.forEach.call(document.querySelectorAll(".curl"), function (box) {
    var button = box.querySelector("button.copy"), code = box.querySelector("pre");
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.textContent).then(done, function () { select(code); });
      } else {
        select(code);
      }
    });
  });

  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    node.parentNode.querySelector("button.copy").textContent = "Press Ctrl+C";
  }

  fromHash();
  apply();
})();
