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
  container.setAttribute("role", "img");
  return { chart, candles, volumes, describe: () => describeLast(container, candles, volumes) };
}

/** Say what the series' last candle is, on the container (`aria-label`, `data-last-*`):
 * the canvas tells a screen reader, or a test, nothing. Call after every change. */
function describeLast(container, candles, volumes) {
  const c = candles.data().at(-1);
  if (!c) {
    container.setAttribute("aria-label", "Price chart: no candles yet");
    return;
  }
  const v = volumes.data().at(-1);
  const volume = v && v.time === c.time ? v.value : 0;
  Object.assign(container.dataset, {
    lastTime: c.time, lastOpen: c.open, lastHigh: c.high, lastLow: c.low, lastClose: c.close, lastVolume: volume,
  });
  container.setAttribute("aria-label",
    `Price chart, last candle: open ${c.open}, high ${c.high}, low ${c.low}, close ${c.close}, volume ${volume}`);
}
