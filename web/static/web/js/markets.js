// Markets overview, two tabs. Spot: every market with its 24 h ticker and a sparkline in
// one GraphQL query, then live from `!miniTicker@arr`. Perpetuals: every contract from
// the futures API the futures screen reads (/fapi: exchangeInfo for precision,
// ticker/24hr, premiumIndex for mark and funding, 1 h klines for the sparkline), then live
// from the futures `!ticker@arr` and `!markPrice@arr@1s` streams. Each row links to its
// trading screen. After every (re)connection the snapshot is read again.

import { fapi, graphql } from "./api.js";
import { decimalsOf, el, fixed, fundingRate, isZero, percent } from "./format.js";
import { Stream } from "./ws.js";

const QUERY = `{ markets { symbol baseAsset quoteAsset status tickSize stepSize
  ticker { lastPrice priceChangePercent highPrice lowPrice volume quoteVolume count }
  klines(interval: "1h", limit: 24) { close } } }`;

const spotBody = document.querySelector("#markets tbody");
const perpBody = document.querySelector("#perpetuals tbody");
const spotRows = new Map(), perpRows = new Map();

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

function setChange(cell, change) {
  cell.textContent = change === null ? "–" : percent(change);
  cell.className = `num change ${change === null ? "" : change.startsWith("-") ? "down" : "up"}`;
}

function nameCell(href, base, quote, tag) {
  return el("th", { scope: "row" }, el("a", { href },
    el("strong", { text: base }), el("span", { class: "muted", text: ` / ${quote}` }),
    tag ? el("span", { class: "tag", text: tag }) : ""));
}

/** A row of `cells` ({class, text}) between the name and the sparkline. */
function marketRow({ symbol, href, name, last, change, cells, closes }) {
  const changeCell = el("td");
  setChange(changeCell, change);
  return el("tr", { "data-symbol": symbol }, name,
    el("td", { class: "num last", text: last }), changeCell,
    ...cells.map((c) => el("td", { class: `num wide-only ${c.class}`, text: c.text })),
    el("td", {}, sparkline(closes)),
    el("td", { class: "wide-only" }, el("a", { class: "btn small primary", href, text: "Trade" })));
}

/** The table shows what went wrong, in words, where the rows would be. */
function failed(body, what, error) {
  body.replaceChildren(el("tr", {}, el("td", { colspan: 8, class: "form-error", role: "alert",
    text: `${what} could not be loaded: ${error.message}` })));
}

function renderSpot(market) {
  const priceDp = decimalsOf(market.tickSize), qtyDp = decimalsOf(market.stepSize);
  const t = market.ticker && market.ticker.count ? market.ticker : null;  // no trade in 24 h: no price
  const href = `/trade/${market.symbol}`;
  const tr = marketRow({
    symbol: market.symbol, href, name: nameCell(href, market.baseAsset, market.quoteAsset),
    last: t ? fixed(t.lastPrice, priceDp) : "–", change: t ? t.priceChangePercent : null,
    cells: [
      { class: "high", text: t ? fixed(t.highPrice, priceDp) : "–" },
      { class: "low", text: t ? fixed(t.lowPrice, priceDp) : "–" },
      { class: "volume", text: t ? fixed(t.volume, qtyDp) : "–" },
    ],
    closes: market.klines.map((k) => k.close),
  });
  spotRows.set(market.symbol, { tr, priceDp, qtyDp });
  return tr;
}

async function loadSpot() {
  const data = await graphql(QUERY);
  spotBody.replaceChildren(...data.markets.map(renderSpot));
  if (!data.markets.length) spotBody.append(el("tr", {}, el("td", { colspan: 8, class: "muted", text: "No markets yet." })));
}

function renderContract(contract, ticker, premium, klines) {
  const filter = (type) => contract.filters.find((f) => f.filterType === type) || {};
  const priceDp = decimalsOf(filter("PRICE_FILTER").tickSize), qtyDp = decimalsOf(filter("LOT_SIZE").stepSize);
  const t = ticker && ticker.count ? ticker : null;
  const mark = premium && !isZero(premium.markPrice) ? premium : null;  // zeros before the feed's first second
  const href = `/futures/${contract.symbol}`;
  const tr = marketRow({
    symbol: contract.symbol, href, name: nameCell(href, contract.baseAsset, contract.quoteAsset, "Perp"),
    last: t ? fixed(t.lastPrice, priceDp) : "–", change: t ? t.priceChangePercent : null,
    cells: [
      { class: "mark", text: mark ? fixed(mark.markPrice, priceDp) : "–" },
      { class: "funding", text: mark ? fundingRate(mark.lastFundingRate) : "–" },
      { class: "volume", text: t ? fixed(t.volume, qtyDp) : "–" },
    ],
    closes: klines.map((k) => k[4]),  // Binance's kline array: [open time, open, high, low, close, ...]
  });
  perpRows.set(contract.symbol, { tr, priceDp, qtyDp });
  return tr;
}

async function loadPerpetuals() {
  const [info, tickers, premiums] = await Promise.all([
    fapi("GET", "/fapi/v1/exchangeInfo"),
    fapi("GET", "/fapi/v1/ticker/24hr"),
    fapi("GET", "/fapi/v1/premiumIndex"),
  ]);
  const contracts = info.symbols.filter((c) => c.contractType === "PERPETUAL");
  // One contract's klines failing leaves its sparkline empty, not the whole table.
  const klines = await Promise.all(contracts.map((c) =>
    fapi("GET", "/fapi/v1/klines", { symbol: c.symbol, interval: "1h", limit: 24 }).catch(() => [])));
  const bySymbol = (list) => new Map(list.map((x) => [x.symbol, x]));
  const t = bySymbol(tickers), p = bySymbol(premiums);
  perpBody.replaceChildren(...contracts.map((c, i) => renderContract(c, t.get(c.symbol), p.get(c.symbol), klines[i])));
  if (!contracts.length) perpBody.append(el("tr", {}, el("td", { colspan: 8, class: "muted", text: "No perpetual contracts yet." })));
}

const cell = (tr, name) => tr.querySelector(`.${name}`);

new Stream("/stream?streams=!miniTicker@arr", {
  onOpen: () => loadSpot().catch((e) => failed(spotBody, "Spot markets", e)),
  onMessage: (tickers) => {
    for (const t of [].concat(tickers)) {
      const entry = spotRows.get(t.s);
      if (!entry) continue;
      const { tr, priceDp, qtyDp } = entry;
      cell(tr, "last").textContent = fixed(t.c, priceDp);
      cell(tr, "high").textContent = fixed(t.h, priceDp);
      cell(tr, "low").textContent = fixed(t.l, priceDp);
      cell(tr, "volume").textContent = fixed(t.v, qtyDp);
    }
  },
});

new Stream("/fstream/stream?streams=!ticker@arr/!markPrice@arr@1s", {
  onOpen: () => loadPerpetuals().catch((e) => failed(perpBody, "Perpetual contracts", e)),
  onMessage: (events) => {
    for (const e of [].concat(events)) {
      const entry = perpRows.get(e.s);
      if (!entry) continue;
      const { tr, priceDp, qtyDp } = entry;
      if (e.e === "24hrTicker") {
        cell(tr, "last").textContent = fixed(e.c, priceDp);
        setChange(cell(tr, "change"), e.P);
        cell(tr, "volume").textContent = fixed(e.v, qtyDp);
      } else if (e.e === "markPriceUpdate") {
        cell(tr, "mark").textContent = fixed(e.p, priceDp);
        cell(tr, "funding").textContent = fundingRate(e.r);
      }
    }
  },
});

// ---- tabs: Spot and Perpetuals; `#perpetuals` opens the second ------------------------
const tabs = [...document.querySelectorAll("[role=tab][data-tab]")];
function select(tab, focus = false) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    document.querySelector(`[data-pane="${t.dataset.tab}"]`).hidden = !on;
  }
  if (focus) tab.focus();
  history.replaceState(null, "", tab.dataset.tab === "spot" ? location.pathname : `#${tab.dataset.tab}`);
}
for (const tab of tabs) {
  tab.addEventListener("click", () => select(tab));
  tab.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (step) select(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length], true);
  });
}
const wanted = tabs.find((t) => `#${t.dataset.tab}` === location.hash);
if (wanted) select(wanted);
