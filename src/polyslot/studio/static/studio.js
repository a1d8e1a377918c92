/* polyslot studio: charts (Plotly) and small HTMX settings. No inline scripts (CSP). */
(function () {
  "use strict";
  // a rejected edit answers 422 with the workspace and an inline message: swap it in
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
  ];
  htmx.config.allowEval = false;

  var COLORS = { current: "#8c8c8c", recommended: "#1f77b4", working: "#d62728" };

  function drawByHour() {
    var work = document.getElementById("work");
    var div = document.getElementById("by-hour");
    if (!work || !div || typeof Plotly === "undefined") return;
    var data = JSON.parse(work.dataset.byHour || "{}");
    var traces = ["current", "recommended", "working"].filter(function (k) { return data[k]; })
      .map(function (k) {
        return { x: data[k].x, y: data[k].y, name: k, type: "scatter", mode: "lines+markers",
                 line: { color: COLORS[k] } };
      });
    Plotly.react(div, traces, {
      title: { text: "Mean wait by appointment hour (min)", font: { size: 13 } },
      margin: { l: 40, r: 10, t: 30, b: 30 }, height: 240, legend: { orientation: "h" },
    }, { displayModeBar: false, responsive: true });
  }

  function drawFrontier() {
    var div = document.getElementById("frontier-plot");
    if (!div || typeof Plotly === "undefined") return;
    fetch(div.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (fr) {
        var pts = fr.points || [];
        if (!pts.length) { div.style.display = "none"; return; }
        div.style.display = "";
        var trace = {
          x: pts.map(function (p) { return p.wait_mean; }),
          y: pts.map(function (p) { return p.patients_per_week; }),
          text: pts.map(function (p) { return p.label; }),
          customdata: pts.map(function (_, i) { return i; }),
          mode: "markers+lines", type: "scatter", name: "frontier",
          marker: { size: 11, color: pts.map(function (p, i) {
            return p.studio ? "#d62728" : (i === fr.chosen ? "#2ca02c" : "#1f77b4"); }) },
        };
        Plotly.react(div, [trace], {
          xaxis: { title: { text: "mean wait (min)" } },
          yaxis: { title: { text: "patients per week" } },
          margin: { l: 50, r: 10, t: 10, b: 40 }, height: 280, hovermode: "closest",
        }, { displayModeBar: false, responsive: true });
        if (!div.dataset.bound) {
          div.dataset.bound = "1";
          div.on("plotly_click", function (ev) {
            var i = ev.points[0].customdata;
            htmx.ajax("POST", div.dataset.load, { target: "#work", swap: "outerHTML",
                                                 values: { point: i } });
          });
        }
      });
  }

  function bindSliders() {
    document.querySelectorAll("#whatif input[type=range]").forEach(function (el) {
      if (el.dataset.bound) return;
      el.dataset.bound = "1";
      el.addEventListener("input", function () {
        var out = document.getElementById(el.dataset.out);
        if (out) out.textContent = "\u00d7" + Number(el.value).toFixed(2);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawByHour(); drawFrontier(); bindSliders();
  });
  document.addEventListener("htmx:afterSettle", function () { drawByHour(); drawFrontier(); });
})();
