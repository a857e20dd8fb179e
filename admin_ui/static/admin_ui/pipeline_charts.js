// Draws the pipeline dashboard's lag history (#lag-history, sampled by beat) with
// lightweight-charts, served from our static files (assets/dist/charts).
(function () {
  "use strict";
  const LWC = window.LightweightCharts;
  const history = JSON.parse(document.getElementById("lag-history").textContent);
  const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  const colors = { clearing: "#417690", "market data": "#e0a800", engine: "#79aec8" };

  function chart(element, readers, series, precision) {
    const drawn = LWC.createChart(element, {
      autoSize: true,
      layout: {
        background: { color: "transparent" },
        textColor: dark ? "#ccc" : "#333",
        attributionLogo: false, // attributed in the page's footnote instead
      },
      grid: { vertLines: { visible: false }, horzLines: { color: dark ? "#333" : "#eee" } },
      rightPriceScale: { borderVisible: false },
      timeScale: { timeVisible: true, secondsVisible: true, borderVisible: false },
      handleScroll: false,
      handleScale: false,
    });
    for (const reader of readers) {
      drawn
        .addSeries(LWC.LineSeries, {
          color: colors[reader],
          lineWidth: 2,
          priceLineVisible: false,
          title: reader,
          priceFormat: { type: "price", precision: precision, minMove: 1 / 10 ** precision },
        })
        .setData((series[reader] || []).map(([time, value]) => ({ time: time, value: value })));
    }
    drawn.timeScale().fitContent();
  }

  let drawn = 0;
  for (const [symbol, series] of Object.entries(history)) {
    const section = document.querySelector(`section[data-lag="${CSS.escape(symbol)}"]`);
    if (!section) continue;
    chart(section.querySelector('[data-chart="seconds"]'), ["clearing", "market data"], series, 1);
    chart(section.querySelector('[data-chart="engine"]'), ["engine"], series, 0);
    drawn += 1;
  }
  document.body.dataset.lagChartsDrawn = String(drawn);
})();
