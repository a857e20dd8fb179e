// Draws the trading dashboard's charts from the page's own JSON (#dashboard-data)
// with lightweight-charts, served from our static files (assets/dist/charts).
(function () {
  "use strict";
  const LWC = window.LightweightCharts;
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  const colors = { volume: "#417690", trades: "#79aec8", fees: "#e0a800" };

  function points(pairs) {
    // Amounts arrive as exact strings; drawing needs numbers, and nothing else uses them.
    return pairs.map(([time, value]) => ({ time: time, value: Number(value) }));
  }

  function draw(element, kind, pairs, priceFormat) {
    const chart = LWC.createChart(element, {
      autoSize: true,
      layout: {
        background: { color: "transparent" },
        textColor: dark ? "#ccc" : "#333",
        attributionLogo: false, // attributed in the page's footnote instead
      },
      grid: { vertLines: { visible: false }, horzLines: { color: dark ? "#333" : "#eee" } },
      rightPriceScale: { borderVisible: false },
      timeScale: { timeVisible: true, secondsVisible: false, borderVisible: false },
      handleScroll: false,
      handleScale: false,
    });
    const type = kind === "fees" ? LWC.LineSeries : LWC.HistogramSeries;
    chart
      .addSeries(type, {
        color: colors[kind],
        lineWidth: 2,
        priceLineVisible: false,
        lastValueVisible: false,
        priceFormat: priceFormat,
      })
      .setData(points(pairs));
    chart.timeScale().fitContent();
  }

  for (const market of data) {
    const section = document.querySelector(`section[data-key="${market.key}"]`);
    const chartOf = (selector) => section.querySelector(selector);
    draw(chartOf('[data-chart="volume"]'), "volume", market.volume, { type: "volume" });
    draw(chartOf('[data-chart="trades"]'), "trades", market.trades, {
      type: "price",
      precision: 0,
      minMove: 1,
    });
    for (const [asset, pairs] of Object.entries(market.fees)) {
      draw(chartOf(`[data-chart="fees"][data-asset="${asset}"]`), "fees", pairs, {
        type: "price",
        precision: 8,
        minMove: 0.00000001,
      });
    }
  }
  document.body.dataset.chartsDrawn = String(data.length);
})();
