// The event list on a small screen: the filters and facets fold behind their summaries so
// that the count and the results come first (a filter form with errors stays open); on a
// wide screen both stay open beside the results. After filtering (the form's address ends
// in #results), focus moves to the result count, so the change is announced where it is.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 59.99rem)");
  function fit() {
    document.querySelectorAll("details.fold").forEach(function (panel) {
      if (!narrow.matches || panel.hasAttribute("data-keep-open")) {
        panel.open = true;
      } else {
        panel.open = false;
      }
    });
  }
  fit();
  narrow.addEventListener("change", fit);
  if (window.location.hash === "#results") {
    var count = document.getElementById("results");
    if (count) {
      count.focus();
    }
  }
})();
