// The candle chart of the spot and futures screens: candles over a volume histogram,
// lightweight-charts from assets/, following the page's theme.

/** Build the chart in `container`; prices drawn with `precision` places on a `minMove` grid. */
export function candleChart(container, { precision, minMove }) {
  const muted = () => getComputedStyle(document.documentElement).getPropertyValue("--muted").trim();
  const chart = LightweightCharts.createChart(container, {
    autoSize: true,
    layout: { background: { color: "transparent" }, textColor: muted() || "#8a94a6" },
    grid: { vertLines: { color: "rgba(128,128,128,0.12)" }, horzLines: { color: "rgba(128,128,128,0.12)" } },
    timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 6 },
    rightPriceScale: { scaleMargins: { top: 0.1, bottom: 0.25 } },
  });
  window.addEventListener("themechange", () => chart.applyOptions({ layout: { textColor: muted() } }));
  const candles = chart.addSeries(LightweightCharts.CandlestickSeries, {
    upColor: "#16c784", downColor: "#ea3943", borderVisible: false, wickUpColor: "#16c784", wickDownColor: "#ea3943",
    priceFormat: { type: "price", precision, minMove },
  });
  const volumes = chart.addSeries(LightweightCharts.HistogramSeries, {
    priceScaleId: "", priceFormat: { type: "volume" }, lastValueVisible: false, priceLineVisible: false,
  });
  volumes.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  return { chart, candles, volumes };
}
