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
  window.Homeostasis = { detectTimezone: detectTimezone,
    csrfToken: function () { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ""; } };
})();
