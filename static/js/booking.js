// Faster booking: choosing a day shows its open times in place, fetched from the JSON API.
// Without JavaScript the day links load a page with the same times.
(function () {
  "use strict";
  var table = document.querySelector("table.calendar[data-slots-api]");
  var target = document.getElementById("day-times");
  if (!table || !target || !window.fetch) { return; }
  var api = table.getAttribute("data-slots-api");
  var type = table.getAttribute("data-type");
  var zone = table.getAttribute("data-tz");
  var reviewBase = window.location.pathname.replace(/\/$/, "") + "/review";

  function timeLabel(iso) { return iso.slice(11, 16); }

  function render(day, slots, label) {
    target.textContent = "";
    var heading = document.createElement("h2");
    heading.textContent = "Open times on " + label;
    heading.tabIndex = -1;
    target.appendChild(heading);
    if (!slots.length) {  // taken since the month was shown: say so, as the day page does
      var none = document.createElement("p");
      none.textContent = "No open times on this day any more. Please choose another day.";
      target.appendChild(none);
      heading.focus();
      return;
    }
    var list = document.createElement("ul");
    list.className = "slot-list";
    slots.forEach(function (slot) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.className = "button";
      var utc = new Date(slot.start).toISOString().replace(/\.\d{3}Z$/, "Z");
      link.href = reviewBase + "?start=" + encodeURIComponent(utc) + "&tz=" + encodeURIComponent(zone);
      link.textContent = timeLabel(slot.start);
      item.appendChild(link);
      list.appendChild(item);
    });
    target.appendChild(list);
    heading.focus();
  }

  table.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-day]");
    if (!link) { return; }
    event.preventDefault();
    var day = link.getAttribute("data-day");
    var url = api + "?type=" + encodeURIComponent(type) + "&start=" + day + "&end=" + day + "&tz=" + encodeURIComponent(zone);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (data) { render(day, data.slots, link.getAttribute("aria-label").split(",")[0]); })
      .catch(function () { window.location.href = link.href; });
  });
})();
