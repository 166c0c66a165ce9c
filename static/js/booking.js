// The one booking screen (templates/booking/_picker.html): choosing a day swaps its times in place, from
// the same page the day link would load without JavaScript (so times, clock and buttons are the server's).
(function () {
  "use strict";
  var picker = document.querySelector("[data-picker]");
  if (!picker || !window.fetch || !window.DOMParser) { return; }

  function show(link, html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("day-times");
    var target = document.getElementById("day-times");
    if (!fresh || !target) { throw new Error("no times in the answer"); }
    target.innerHTML = fresh.innerHTML;
    picker.querySelectorAll("td.chosen").forEach(function (cell) { cell.classList.remove("chosen"); });
    link.parentNode.classList.add("chosen");
    if (window.history && window.history.replaceState) { window.history.replaceState(null, "", link.href); }
    var heading = target.querySelector("h2");
    if (heading) { heading.focus(); }
  }

  picker.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-day]");
    if (!link) { return; }
    event.preventDefault();
    fetch(link.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.text(); })
      .then(function (html) { show(link, html); })
      .catch(function () { window.location.href = link.href; });
  });
})();
