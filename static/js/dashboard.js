/*
 * Draws the dashboard's charts from the numbers the page carries in
 * <script type="application/json" id="dashboard-data"> (no inline code: the
 * Content-Security-Policy forbids it). Each chart's numbers are also in a table
 * and a CSV link next to it; this file only draws.
 */
(function () {
  "use strict";

  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var charts = JSON.parse(source.textContent);
  var Chart = window.Chart;
  var palette = ["#1d5fa8", "#c2571a", "#2f8a4c", "#7a4fa0", "#a3202c", "#4a5665", "#b08a00"];
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#1d2733";
  Chart.defaults.animation = reduceMotion ? false : { duration: 300 };
  Chart.defaults.maintainAspectRatio = false;

  function column(rows, index) {
    return rows.map(function (row) { return row[index]; });
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      new Chart(canvas, config);
    }
  }

  function bars(id, labels, values, label, horizontal) {
    draw(id, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: label, data: values, backgroundColor: palette[0] }] },
      options: {
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0, autoSkip: !horizontal } },
          y: { beginAtZero: true, ticks: { precision: 0, autoSkip: horizontal === false } }
        }
      }
    });
  }

  var time = charts.time;
  draw("chart-time", {
    type: "line",
    data: {
      labels: column(time.rows, 0),
      datasets: [
        { label: time.columns[1], data: column(time.rows, 1), borderColor: palette[0], backgroundColor: palette[0], tension: 0.2 },
        { label: time.columns[2], data: column(time.rows, 2), borderColor: palette[1], backgroundColor: palette[1], tension: 0.2 }
      ]
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });

  bars("chart-industry", column(charts.industry.rows, 0), column(charts.industry.rows, 1), charts.industry.columns[1], true);
  bars("chart-funnel", column(charts.funnel.rows, 0), column(charts.funnel.rows, 1), charts.funnel.columns[1], true);

  draw("chart-type", {
    type: "doughnut",
    data: {
      labels: column(charts.type.rows, 0),
      datasets: [{ data: column(charts.type.rows, 1), backgroundColor: palette }]
    }
  });
  bars("chart-caller_type", column(charts.caller_type.rows, 0), column(charts.caller_type.rows, 1), charts.caller_type.columns[1], true);

  var forwarding = charts.forwarding;
  if (forwarding) {
    draw("chart-forwarding", {
      type: "bar",
      data: {
        labels: column(forwarding.rows, 0),
        datasets: [{ label: forwarding.columns[5], data: column(forwarding.rows, 5), backgroundColor: palette[2] }]
      },
      options: {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, max: 100, ticks: { callback: function (value) { return value + "%"; } } } }
      }
    });
  }

  function part(dimension) {
    return charts.demographics.rows.filter(function (row) { return row[0] === dimension; });
  }
  var groups = [];
  charts.demographics.rows.forEach(function (row) {
    if (groups.indexOf(row[0]) === -1) { groups.push(row[0]); }
  });
  var age = part(groups[0] || ""), gender = part(groups[1] || ""), minor = part(groups[2] || "");
  bars("chart-age", column(age, 1), column(age, 2), groups[0], false);
  draw("chart-gender", {
    type: "doughnut",
    data: { labels: column(gender, 1), datasets: [{ data: column(gender, 2), backgroundColor: palette }] }
  });
  draw("chart-minor", {
    type: "doughnut",
    data: { labels: column(minor, 1), datasets: [{ data: column(minor, 2), backgroundColor: palette }] }
  });
})();
