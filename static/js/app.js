// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  function detectTimezone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var zone = detectTimezone();
    document.querySelectorAll("[data-detect-timezone]").forEach(function (input) {
      if (zone && (!input.value || input.value === "UTC")) { input.value = zone; }
    });
    document.querySelectorAll("a[data-add-tz]").forEach(function (link) {
      if (!zone) { return; }
      var url = new URL(link.href, window.location.href);
      if (!url.searchParams.get("tz")) { url.searchParams.set("tz", zone); link.href = url.toString(); }
    });
    // The server fell back to the practice's zone (no ?tz= yet): reload once in the browser's own zone.
    var guessed = document.querySelector("form[data-auto-zone]");
    if (guessed && zone) {
      var here = new URL(window.location.href);
      var shownZone = guessed.querySelector("input[name=tz]");
      if (!here.searchParams.get("tz") && shownZone && shownZone.value !== zone) {
        here.searchParams.set("tz", zone);
        window.location.replace(here.toString());
        return;
      }
    }
    var summary = document.querySelector("[data-focus]");
    if (summary) { summary.focus(); }
  });
  // A row of radios marked data-keys (the intake's symptom rows): typing an option's key (a digit for how
  // bad, the first letter for how often) picks it, as type-ahead does in a select. Arrows still work.
  document.addEventListener("keydown", function (event) {
    var radio = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || !radio || radio.type !== "radio") { return; }
    var row = radio.closest("[data-keys]");
    var key = (event.key || "").toLowerCase();
    if (!row || !/^[a-z0-9]$/.test(key)) { return; }
    var match = row.querySelector('input[type=radio][data-key="' + key + '"]');
    if (!match) { return; }
    event.preventDefault();
    match.checked = true;
    match.focus();
    match.dispatchEvent(new Event("change", { bubbles: true }));
  });
  window.Homeostasis = { detectTimezone: detectTimezone,
    csrfToken: function () { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ""; } };
})();
