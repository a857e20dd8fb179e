// Draws the trading dashboard's charts from the page's own JSON (#dashboard-data)
// with lightweight-charts, served from our static files (assets/dist/charts).
(function () {
  "use strict";
  const LWC = window.LightweightCharts;
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  const palette = ["#417690", "#e0a800", "#79aec8", "#ba2121", "#44b78b"];

  function points(pairs) {
    // Amounts arrive as exact strings; drawing needs numbers, nothing else uses them.
    return pairs.map(([time, value]) => ({ time: time, value: Number(value) }));
  }

  function chart(element) {
    return LWC.createChart(element, {
      autoSize: true,
      layout: { background: { color: "transparent" }, textColor: dark ? "#ccc" : "#333" },
      grid: { vertLines: { visible: false }, horzLines: { color: dark ? "#333" : "#eee" } },
      rightPriceScale: { borderVisible: false },
      timeScale: { timeVisible: true, secondsVisible: false, borderVisible: false },
      handleScroll: false,
      handleScale: false,
    });
  }

  for (const market of data) {
    const section = document.querySelector(`section[data-market="${market.symbol}"]`);
    const volume = chart(section.querySelector('[data-chart="volume"]'));
    volume.addSeries(LWC.HistogramSeries, { color: palette[0] }).setData(points(market.volume));
    volume.timeScale().fitContent();

    const trades = chart(section.querySelector('[data-chart="trades"]'));
    trades
      .addSeries(LWC.HistogramSeries, { color: palette[2], priceFormat: { type: "volume" } })
      .setData(points(market.trades));
    trades.timeScale().fitContent();

    const feesElement = section.querySelector('[data-chart="fees"]');
    const fees = chart(feesElement);
    const legend = feesElement.parentElement.querySelector(".legend");
    Object.entries(market.fees).forEach(([asset, series], i) => {
      const color = palette[(i + 1) % palette.length];
      fees
        .addSeries(LWC.LineSeries, {
          color: color,
          lineWidth: 2,
          priceScaleId: i === 0 ? "left" : "right",
          priceFormat: { type: "price", precision: 8, minMove: 0.00000001 },
        })
        .setData(points(series));
      const key = document.createElement("span");
      key.innerHTML = `<i style="background:${color}"></i>${asset} (${i === 0 ? "left" : "right"} scale)`;
      legend.appendChild(key);
    });
    fees.applyOptions({ leftPriceScale: { visible: true, borderVisible: false } });
    fees.timeScale().fitContent();
    section.dataset.drawn = "true";
  }
  document.body.dataset.chartsDrawn = String(data.length);
})();
