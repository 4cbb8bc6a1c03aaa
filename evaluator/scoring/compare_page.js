/* The leaderboard page: sortable columns, CSV download. */
(function () {
  "use strict";
  const data = dk.data();
  dk.sortable(document.getElementById("leaderboard"));
  document.getElementById("csv-button").addEventListener("click", function () {
    dk.download("leaderboard_" + data.kind + ".csv", data.csv, "text/csv;charset=utf-8");
  });
})();
