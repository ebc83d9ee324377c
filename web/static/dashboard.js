// The dashboards' bar charts (Chart.js), drawn from the JSON in each canvas's data-chart
// attribute: the strict CSP allows no inline script.
// - landlord: #collected-vs-due, "collected vs due" per month;
// - business: #aging-chart, what is owed per aging bucket.
(function () {
  "use strict";

  function money() {
    return new Intl.NumberFormat(document.documentElement.lang || "es", {
      style: "currency",
      currency: "EUR",
    });
  }

  function barChart(canvas, labels, datasets, legend) {
    var format = money();
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true,
        aspectRatio: 2.5,
        animation: false,
        scales: {
          y: {
            beginAtZero: true,
            ticks: {
              callback: function (value) {
                return format.format(value);
              },
            },
          },
        },
        plugins: {
          legend: { display: legend !== false },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + format.format(item.parsed.y);
              },
            },
          },
        },
      },
    });
  }

  function chartData(id) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return null;
    }
    return { canvas: canvas, data: JSON.parse(canvas.getAttribute("data-chart")) };
  }

  function drawCollectedVsDue() {
    var chart = chartData("collected-vs-due");
    if (!chart) {
      return;
    }
    var data = chart.data;
    barChart(chart.canvas, data.labels, [
      { label: data.dueLabel, data: data.due.map(Number), backgroundColor: "#9ec5d8" },
      { label: data.collectedLabel, data: data.collected.map(Number), backgroundColor: "#0b4f6c" },
    ]);
  }

  function drawAging() {
    var chart = chartData("aging-chart");
    if (!chart) {
      return;
    }
    var data = chart.data;
    barChart(
      chart.canvas,
      data.labels,
      [
        {
          label: data.amountLabel,
          data: data.amounts.map(Number),
          backgroundColor: ["#0b4f6c", "#f0c05a", "#e8963c", "#d9622b", "#b02a37"],
        },
      ],
      false
    );
  }

  function draw() {
    if (typeof window.Chart === "undefined") {
      return;
    }
    drawCollectedVsDue();
    drawAging();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
