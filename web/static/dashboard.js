// The landlord dashboard's "collected vs due" bar chart (Chart.js), drawn from the JSON in the
// canvas's data-chart attribute: the strict CSP allows no inline script.
(function () {
  "use strict";

  function draw() {
    var canvas = document.getElementById("collected-vs-due");
    if (!canvas || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(canvas.getAttribute("data-chart"));
    var money = new Intl.NumberFormat(document.documentElement.lang || "es", {
      style: "currency",
      currency: "EUR",
    });
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          {
            label: data.dueLabel,
            data: data.due.map(Number),
            backgroundColor: "#9ec5d8",
          },
          {
            label: data.collectedLabel,
            data: data.collected.map(Number),
            backgroundColor: "#0b4f6c",
          },
        ],
      },
      options: {
        responsive: true,
        aspectRatio: 2.5,
        animation: false,
        scales: {
          y: {
            beginAtZero: true,
            ticks: {
              callback: function (value) {
                return money.format(value);
              },
            },
          },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + money.format(item.parsed.y);
              },
            },
          },
        },
      },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
