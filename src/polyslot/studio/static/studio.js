/* polyslot studio: tabs, the frontier's chart (Plotly) and small HTMX settings. No inline
 * scripts (CSP).
 *
 * An edit answers with out-of-band fragments (the KPI panel with its wait-by-hour SVG chart,
 * the edited cell, totals); after the swap the open tabs whose content depends on the working
 * copy (change list, timelines, frontier) are reloaded; closed ones are reloaded when opened. */
(function () {
  "use strict";
  // a rejected edit answers 422 with an inline message: swap it in
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true, error: false },
    { code: "413", swap: false, error: true },
    { code: "[45]..", swap: false, error: true },
  ];
  htmx.config.allowEval = false;
  htmx.config.defaultSettleDelay = 0;

  var seenVersion = null;

  function markerTrace(list, name, symbol, color) {
    return {
      x: list.map(function (p) { return p.wait_mean; }),
      y: list.map(function (p) { return p.patients_served; }),
      text: list.map(function (p) { return p.label + (p.stale ? " (older run)" : ""); }),
      mode: "markers", type: "scatter", name: name, hoverinfo: "text+x+y",
      marker: { size: 13, symbol: symbol, color: color },
    };
  }

  function drawFrontier() {
    var div = document.getElementById("frontier-plot");
    if (!div) return;
    if (typeof Plotly === "undefined") { loadPlotly(drawFrontier); return; }
    fetch(div.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (fr) {
        var pts = fr.points || [];
        var marks = fr.markers || [];
        var trace = {
          x: pts.map(function (p) { return p.wait_mean; }),
          y: pts.map(function (p) { return p.patients_served; }),
          text: pts.map(function (p) {
            var run = p.run || {};
            return p.label + (run.wait_mean !== undefined ? " (run: " + Number(run.wait_mean)
              .toFixed(2) + " min, " + Number(run.patients_per_week).toFixed(0) +
              " patients/week, simulated)" : "");
          }),
          customdata: pts.map(function (p) { return p.index; }),
          mode: "markers+lines", type: "scatter", name: "frontier", hoverinfo: "text+x+y",
          marker: { size: 11, color: pts.map(function (p) {
            return p.studio ? "#d62728" : (p.index === fr.chosen ? "#2ca02c" : "#1f77b4"); }) },
        };
        var traces = [trace,
          markerTrace(marks.filter(function (m) {
            return m.kind === "current" || m.kind === "recommended"; }), "run templates",
            "square", "#8c8c8c"),
          markerTrace(marks.filter(function (m) { return m.kind === "working"; }),
            "working copy", "star", "#000000"),
          markerTrace(marks.filter(function (m) { return m.kind === "scenario"; }),
            "saved scenarios", "diamond", "#9467bd")];
        div.dataset.points = String(pts.length);
        div.dataset.markers = String(marks.length);
        Plotly.react(div, traces, {
          xaxis: { title: { text: "mean wait (min), " + fr.weekday + ", " + fr.source } },
          yaxis: { title: { text: "patients served per " + fr.weekday } },
          margin: { l: 50, r: 10, t: 10, b: 40 }, height: 300, hovermode: "closest",
          legend: { orientation: "h" },
        }, { displayModeBar: false, responsive: true });
        div.dataset.drawn = "1";
        if (!div.dataset.bound) {
          div.dataset.bound = "1";
          div.on("plotly_click", function (ev) {
            var i = ev.points[0].customdata;
            if (i === undefined || i === null) return;
            htmx.ajax("POST", div.dataset.load, { target: "#edit-status", swap: "innerHTML",
                                                 values: { point: i } });
          });
        }
      });
  }

  function loadLazy(root) {
    var els = root.matches("[data-src]") ? [root] : [];
    root.querySelectorAll("[data-src]").forEach(function (el) { els.push(el); });
    els.forEach(function (el) {
      if (el.dataset.loaded && !el.dataset.stale) return;
      delete el.dataset.stale;
      htmx.ajax("GET", el.dataset.src, { target: el, swap: "innerHTML" }).then(function () {
        el.dataset.loaded = "1";
        if (el.querySelector("#frontier-plot")) drawFrontier();
      });
    });
  }

  function toggleTab(name) {
    document.querySelectorAll(".tabs [role=tab]").forEach(function (b) {
      var panel = document.getElementById("tab-" + b.dataset.tab);
      var open = b.dataset.tab === name && b.getAttribute("aria-selected") !== "true";
      b.setAttribute("aria-selected", open ? "true" : "false");
      if (!panel) return;
      panel.hidden = !open;
      if (open) loadLazy(panel);
    });
  }

  function afterEdit() {
    var panel = document.getElementById("kpi-panel");
    if (!panel || panel.dataset.version === seenVersion) return;
    seenVersion = panel.dataset.version;
    document.querySelectorAll("[data-src][data-live]").forEach(function (el) {
      el.dataset.stale = "1";
      var tab = el.closest(".tabpanel");
      if (tab && !tab.hidden) loadLazy(el);
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

  // Plotly (4.8 MB) is loaded only for the frontier's chart
  function loadPlotly(then) {
    if (typeof Plotly !== "undefined") { then(); return; }
    var s = document.querySelector("script[data-plotly]");
    if (!s) {
      s = document.createElement("script");
      s.src = "/static/plotly.min.js";
      s.dataset.plotly = "1";
      document.head.appendChild(s);
    }
    s.addEventListener("load", then);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("kpi-panel");
    if (panel) seenVersion = panel.dataset.version;
    bindSliders();
    document.querySelectorAll(".tabs [role=tab]").forEach(function (b) {
      b.addEventListener("click", function () { toggleTab(b.dataset.tab); });
    });
  });
  document.addEventListener("htmx:afterSwap", function () {
    afterEdit();
    var plot = document.getElementById("frontier-plot");
    if (plot && !plot.dataset.drawn && !plot.closest(".tabpanel").hidden) drawFrontier();
  });
})();
