// AccountPulse pages: local times, charts (uPlot), sparklines, live regions. No inline
// script (the CSP forbids it); chart data comes from <script type="application/json">.
(function () {
  "use strict";
  var COLORS = { web: "#1d4ed8", email: "#b54708", ad: "#6941c6" };
  var fmt = {
    datetime: new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }),
    date: new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }),
    hour: new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })
  };

  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var epoch = el.getAttribute("data-epoch");
      var d = epoch ? new Date(Number(epoch) * 1000) : new Date(el.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      var style = el.getAttribute("data-style") || "datetime";
      if (style === "date" && !epoch) { return; }  // a calendar day has no time zone
      el.textContent = (fmt[style] || fmt.datetime).format(d);
      el.title = d.toISOString();
    });
  }

  function charts(root) {
    if (!window.uPlot) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var data = JSON.parse(el.querySelector("script").textContent);
      var names = Object.keys(data.series);
      var share = el.getAttribute("data-unit") === "share";
      var opts = {
        width: Math.max(el.clientWidth, 300), height: 220,
        series: [{}].concat(names.map(function (n) {
          return { label: n, stroke: COLORS[n] || "#444", width: 2, spanGaps: false,
                   value: function (u, v) { return v == null ? "–" : share ? (v * 100).toFixed(1) + "%" : v.toFixed(1); } };
        })),
        axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return share ? Math.round(v * 100) + "%" : v; }); } }],
        scales: share ? { y: { range: [0, 1] } } : {}
      };
      var cols = [data.x].concat(names.map(function (n) { return data.series[n]; }));
      el.dataset.drawn = "1";
      el.uplot = new uPlot(opts, cols, el);
    });
    root.querySelectorAll("[data-spark]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var ys = JSON.parse(el.getAttribute("data-spark"));
      var xs = ys.map(function (_, i) { return i; });
      el.dataset.drawn = "1";
      el.uplot = new uPlot({
        width: 120, height: 28, legend: { show: false }, cursor: { show: false },
        axes: [{ show: false }, { show: false }], scales: { x: { time: false } },
        series: [{}, { stroke: "#1d4ed8", width: 1.5, fill: "rgba(29,78,216,0.12)" }]
      }, [xs, ys], el);
    });
  }

  function live(root) {
    root.querySelectorAll("[data-live]").forEach(function (el) {
      var url = el.getAttribute("data-live");
      setInterval(function () {
        if (document.hidden) { return; }
        fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (html === null || html === el.dataset.last) { return; }
            if (el.contains(document.activeElement) && document.activeElement !== document.body) { return; }
            el.dataset.last = html;
            el.innerHTML = html;
            enhance(el);
          })
          .catch(function () { /* offline for a moment: the next poll retries */ });
      }, 5000);
    });
  }

  function enhance(root) { localTimes(root); charts(root); }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    live(document);
  });
}());
