// Markets overview: every market with its 24 h ticker and a sparkline, in one GraphQL
// query, then live from the `!miniTicker@arr` stream.

import { graphql, toast } from "./api.js";
import { decimalsOf, el, fixed, percent } from "./format.js";
import { Stream } from "./ws.js";

const QUERY = `{ markets { symbol baseAsset quoteAsset status tickSize stepSize
  ticker { lastPrice priceChangePercent highPrice lowPrice volume quoteVolume count }
  klines(interval: "1h", limit: 24) { close } } }`;

const body = document.querySelector("#markets tbody");
const rows = new Map();

function sparkline(closes) {
  const width = 120, height = 32;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "spark");
  svg.setAttribute("aria-hidden", "true");
  if (closes.length) {
    const values = (closes.length === 1 ? [closes[0], closes[0]] : closes).map(Number);  // pixels, not money
    const lo = Math.min(...values), hi = Math.max(...values);
    const points = values.map((v, i) =>
      `${(i / (values.length - 1)) * width},${height - 2 - ((v - lo) / (hi - lo || 1)) * (height - 4)}`);
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("class", values[values.length - 1] >= values[0] ? "up" : "down");
    svg.append(line);
  }
  return svg;
}

function render(market) {
  const priceDp = decimalsOf(market.tickSize), qtyDp = decimalsOf(market.stepSize);
  const t = market.ticker && market.ticker.count ? market.ticker : null;  // no trade in 24 h: no price
  const change = t ? t.priceChangePercent : null;
  const tr = el("tr", { "data-symbol": market.symbol },
    el("th", { scope: "row" }, el("a", { href: `/trade/${market.symbol}` },
      el("strong", { text: market.baseAsset }), el("span", { class: "muted", text: ` / ${market.quoteAsset}` }))),
    el("td", { class: "num last", text: t ? fixed(t.lastPrice, priceDp) : "–" }),
    el("td", { class: `num change ${!t ? "" : change.startsWith("-") ? "down" : "up"}`, text: t ? percent(change) : "–" }),
    el("td", { class: "num high", text: t ? fixed(t.highPrice, priceDp) : "–" }),
    el("td", { class: "num low", text: t ? fixed(t.lowPrice, priceDp) : "–" }),
    el("td", { class: "num volume", text: t ? fixed(t.volume, qtyDp) : "–" }),
    el("td", {}, sparkline(market.klines.map((k) => k.close))),
    el("td", {}, el("a", { class: "btn small primary", href: `/trade/${market.symbol}`, text: "Trade" })),
  );
  rows.set(market.symbol, { tr, priceDp, qtyDp });
  return tr;
}

async function load() {
  const data = await graphql(QUERY);
  body.replaceChildren(...data.markets.map(render));
  if (!data.markets.length) body.append(el("tr", {}, el("td", { colspan: 8, class: "muted", text: "No markets yet." })));
}

new Stream("/stream?streams=!miniTicker@arr", {
  onOpen: () => load().catch((e) => toast(e.message)),
  onMessage: (tickers) => {
    for (const t of [].concat(tickers)) {
      const entry = rows.get(t.s);
      if (!entry) continue;
      const { tr, priceDp, qtyDp } = entry;
      tr.querySelector(".last").textContent = fixed(t.c, priceDp);
      tr.querySelector(".high").textContent = fixed(t.h, priceDp);
      tr.querySelector(".low").textContent = fixed(t.l, priceDp);
      tr.querySelector(".volume").textContent = fixed(t.v, qtyDp);
    }
  },
});
