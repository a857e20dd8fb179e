// The perpetual futures screen: chart, book, tape, transfer, leverage, order form,
// positions (entry, mark, unrealized PnL and liquidation price as the exchange computes
// them), open orders and fills. Snapshots through /fapi with the session cookie, then
// the futures market streams and the user-data stream (/fstream); after a reconnection
// it takes new snapshots (the snapshot-plus-diff rule). A slow poll stands in while a
// stream is down.

import { api, clearErrors, currentUser, fapi, showErrors, toast } from "./api.js";
import { FuturesBook } from "./book.js";
import { dateTime, decimalsOf, el, fixed, fundingRate, isZero, row, time } from "./format.js";
import { transferForm } from "./transfer.js";
import { Stream, userStream } from "./ws.js";
import { candleChart } from "./chart.js";

const INTERVALS = ["1m", "5m", "15m", "1h", "4h", "1d"];
const FALLBACK_MS = 10000;  // the poll while a stream is down
const root = document.getElementById("futures");
const $ = (id) => document.getElementById(id);

const info = await fapi("GET", "/fapi/v1/exchangeInfo");
const contracts = info.symbols;
const symbol = root.dataset.symbol;
if (!symbol && contracts.length) {
  location.replace(`/futures/${contracts[0].symbol}`);
  await new Promise(() => {});  // the page is being replaced
}
const contract = contracts.find((c) => c.symbol === symbol);
if (!contract) {
  root.replaceChildren(el("section", { class: "panel wide" }, el("h1", { text: `No perpetual ${symbol}` }),
    el("p", {}, el("a", { href: "/", text: "See all markets" }))));
  throw new Error(`unknown contract ${symbol}`);
}
const filter = (type) => contract.filters.find((f) => f.filterType === type) || {};
const priceDp = decimalsOf(filter("PRICE_FILTER").tickSize), qtyDp = decimalsOf(filter("LOT_SIZE").stepSize);
const px = (v) => fixed(v, priceDp), qty = (v) => fixed(v, qtyDp), money = (v) => fixed(v, 8);
document.title = `${contract.symbol} perpetual · Open Exchange`;
document.querySelectorAll(".unit.base").forEach((e) => (e.textContent = contract.baseAsset));
document.querySelectorAll(".unit.quote").forEach((e) => (e.textContent = contract.quoteAsset));
document.querySelectorAll(".unit.margin").forEach((e) => (e.textContent = contract.marginAsset));

const select = $("contract-select");
for (const c of contracts) select.append(el("option", { value: c.symbol, text: `${c.symbol} perpetual`, selected: c.symbol === symbol ? "" : null }));
select.addEventListener("change", () => (location.href = `/futures/${select.value}`));

// ---- chart (trades' klines) -------------------------------------------------------
let interval = localStorage.getItem("futures-interval") || "1h";
const { chart, candles, volumes, describe } = candleChart($("chart"), { precision: priceDp, minMove: Number(filter("PRICE_FILTER").tickSize) });

/** A bar from Binance's kline array [open time, open, high, low, close, volume, ...];
 * numbers for drawing only. */
function bar(k) {
  const t = Math.floor(k[0] / 1000);
  return [
    { time: t, open: Number(k[1]), high: Number(k[2]), low: Number(k[3]), close: Number(k[4]) },
    { time: t, value: Number(k[5]), color: Number(k[4]) >= Number(k[1]) ? "rgba(22,199,132,0.45)" : "rgba(234,57,67,0.45)" },
  ];
}
async function loadKlines() {
  const bars = (await fapi("GET", "/fapi/v1/klines", { symbol, interval, limit: 500 })).map(bar);
  candles.setData(bars.map((b) => b[0]));
  volumes.setData(bars.map((b) => b[1]));
  describe();
  $("chart-empty").hidden = bars.length > 0;
}
const intervals = $("intervals");
for (const i of INTERVALS) {
  intervals.append(el("button", { type: "button", class: "tab", "aria-pressed": String(i === interval), "data-interval": i, text: i,
    onclick: () => {
      if (i === interval) return;
      marketStream.send({ method: "UNSUBSCRIBE", params: [`${lower}@kline_${interval}`], id: Date.now() });
      interval = i;
      localStorage.setItem("futures-interval", i);
      marketStream.send({ method: "SUBSCRIBE", params: [`${lower}@kline_${interval}`], id: Date.now() });
      intervals.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.interval === i)));
      loadKlines().catch((e) => toast(e.message));
    } }));
}

// ---- book, tape, mark ----------------------------------------------------------------
function renderBook(book) {
  const { bids, asks } = book.levels(15);
  const totalOf = (levels) => levels.reduce((sum, [, q]) => sum + Number(q), 0);  // bar widths only
  const most = Math.max(totalOf(bids), totalOf(asks)) || 1;
  const lines = (levels, side) => {
    let running = 0;
    return levels.map(([p, q]) => {
      running += Number(q);
      const line = el("button", { type: "button", class: `level ${side}`, "data-price": p, title: `Use price ${px(p)}`,
        onclick: () => { $("o-price").value = p; } },
        el("span", { class: "price", text: px(p) }), el("span", { text: qty(q) }),
        el("span", { class: "muted", text: qty(running.toFixed(qtyDp)) }));
      const bar = el("i", { class: "depth", "aria-hidden": "true" });
      bar.style.width = `${Math.min(100, (running / most) * 100)}%`;
      line.prepend(bar);
      return line;
    });
  };
  $("asks").replaceChildren(...lines(asks, "ask").reverse());
  $("bids").replaceChildren(...lines(bids, "bid"));
  $("spread").textContent = asks.length && bids.length
    ? `Spread ${px((Number(asks[0][0]) - Number(bids[0][0])).toFixed(priceDp))}` : "–";
}
const book = new FuturesBook(async () => {
  const depth = await fapi("GET", "/fapi/v1/depth", { symbol, limit: 1000 });
  return { bids: depth.bids, asks: depth.asks, last_update_id: depth.lastUpdateId };
}, renderBook);
function tradeLine(t) {
  return el("div", { class: `tick ${t.isBuyerMaker ? "ask" : "bid"}`, "data-trade-id": t.id },
    el("span", { class: "price", text: px(t.price) }), el("span", { text: qty(t.qty) }), el("span", { class: "muted", text: time(t.time) }));
}
function renderTrades(trades) {
  $("trades").replaceChildren(...trades.slice().reverse().slice(0, 50).map(tradeLine));
}
function renderMark(p) {
  $("f-mark").textContent = px(p.markPrice);
  $("f-mark").dataset.value = p.markPrice;
  $("f-index").textContent = px(p.indexPrice);
  $("f-funding").textContent = fundingRate(p.lastFundingRate);
}
function renderTicker(t) {
  if (!t.count) return;  // no trade in 24 h: no price to show yet
  $("f-last").textContent = px(t.lastPrice);
  $("f-volume").textContent = `${qty(t.volume)} ${contract.baseAsset}`;
}

// ---- the trader's account ------------------------------------------------------------
function sideCell(s) { return { class: s === "BUY" ? "up" : "down", text: s === "BUY" ? "Buy" : "Sell" }; }
function typeName(t) { return t.replace(/_/g, " ").toLowerCase().replace(/^./, (c) => c.toUpperCase()); }
const signed = (v) => (String(v).startsWith("-") ? "down" : isZero(v) ? "" : "up");

function closePosition(p) {
  // The opposite side for the position's size, reduce-only: the exchange decides the rest.
  const short = String(p.positionAmt).startsWith("-");
  return fapi("POST", "/fapi/v1/order", { symbol: p.symbol, side: short ? "BUY" : "SELL", type: "MARKET",
    quantity: String(p.positionAmt).replace(/^-/, ""), reduceOnly: "true" });
}

function renderPositions(positions) {
  const open = positions.filter((p) => p.symbol === symbol && !isZero(String(p.positionAmt).replace(/^-/, "")));
  const body = document.querySelector("#positions tbody");
  body.replaceChildren(...open.map((p) => row([
    `${p.symbol} · ${p.marginType === "cross" ? "Cross" : "Isolated"}`,
    { class: `num size ${signed(p.positionAmt)}`, text: qty(p.positionAmt) },
    { class: "num entry", text: px(p.entryPrice), "data-value": p.entryPrice },
    { class: "num mark", text: px(p.markPrice), "data-value": p.markPrice },
    { class: "num liq", text: isZero(p.liquidationPrice) ? "–" : px(p.liquidationPrice), "data-value": p.liquidationPrice },
    { class: "num margin", text: money(p.initialMargin), "data-value": p.initialMargin },
    { class: `num pnl ${signed(p.unRealizedProfit)}`, text: money(p.unRealizedProfit), "data-value": p.unRealizedProfit },
    { class: "leverage", text: `${p.leverage}x` },
    el("button", { type: "button", class: "btn small ghost", "aria-label": `Close position ${p.symbol}`, text: "Close",
      onclick: () => closePosition(p).then((o) => { toast(`Closing: order ${o.orderId}`); refreshAccount(); }).catch((e) => toast(e.message)) }),
  ], { "data-symbol": p.symbol })));
  holding = open.length > 0;
  if (!open.length) body.append(row([{ colspan: 9, class: "muted", text: "No open position." }]));
  $("position-count").textContent = open.length ? `(${open.length})` : "";
}
function renderOpenOrders(orders) {
  const body = document.querySelector("#open-orders tbody");
  body.replaceChildren(...orders.map((o) => row([
    dateTime(o.time), sideCell(o.side), typeName(o.type),
    { class: "num", text: isZero(o.price) ? "Market" : px(o.price) }, { class: "num", text: isZero(o.stopPrice) ? "–" : px(o.stopPrice) },
    { class: "num", text: qty(o.origQty) }, { class: "num", text: qty(o.executedQty) }, o.reduceOnly ? "Yes" : "No",
    el("button", { type: "button", class: "btn small ghost", "aria-label": `Cancel order ${o.orderId}`, text: "Cancel",
      onclick: () => fapi("DELETE", "/fapi/v1/order", { symbol, orderId: o.orderId }).then(refreshAccount).catch((e) => toast(e.message)) }),
  ], { "data-order-id": o.orderId })));
  if (!orders.length) body.append(row([{ colspan: 9, class: "muted", text: "No open orders." }]));
  $("open-count").textContent = orders.length ? `(${orders.length})` : "";
}
function renderHistory(orders) {
  const body = document.querySelector("#order-history tbody");
  body.replaceChildren(...orders.slice().reverse().map((o) => row([
    dateTime(o.time), sideCell(o.side), typeName(o.type),
    { class: "num", text: isZero(o.price) ? "Market" : px(o.price) }, { class: "num", text: isZero(o.avgPrice) ? "–" : px(o.avgPrice) },
    { class: "num", text: qty(o.origQty) }, { class: "num", text: qty(o.executedQty) }, o.status,
  ], { "data-order-id": o.orderId })));
  if (!orders.length) body.append(row([{ colspan: 8, class: "muted", text: "No orders yet." }]));
}
function renderFills(fills) {
  document.querySelector("#fills tbody").replaceChildren(...fills.slice().reverse().map((f) => row([
    dateTime(f.time), sideCell(f.side), { class: "num", text: px(f.price) }, { class: "num", text: qty(f.qty) },
    { class: `num ${signed(f.realizedPnl)}`, text: money(f.realizedPnl) }, { class: "num", text: `${money(f.commission)} ${f.commissionAsset}` },
    f.maker ? "Maker" : "Taker",
  ], { "data-trade-id": f.id })));
}
function renderWallet(balances) {
  const b = balances.find((a) => a.asset === contract.marginAsset) || { balance: "0", availableBalance: "0" };
  $("f-wallet").textContent = `${money(b.balance)} ${contract.marginAsset}`;
  $("f-wallet").dataset.value = b.balance;
  $("f-avail").textContent = `${money(b.availableBalance)} ${contract.marginAsset}`;
}

// ---- the trader's account from the user-data stream ----------------------------------------
const user = await currentUser();
let holding = false;  // an open position: its PnL follows the mark
const loadPositions = () => fapi("GET", "/fapi/v2/positionRisk", { symbol }).then(renderPositions);
const loadWallet = () => fapi("GET", "/fapi/v2/balance").then(renderWallet);
const loadOrders = () => Promise.all([
  fapi("GET", "/fapi/v1/openOrders", { symbol }).then(renderOpenOrders),
  fapi("GET", "/fapi/v1/allOrders", { symbol, limit: 50 }).then(renderHistory),
  fapi("GET", "/fapi/v1/userTrades", { symbol, limit: 50 }).then(renderFills),
]);
/** Every account figure again: after (re)connecting, after the trader changed something. */
function refreshAccount() {
  if (!user) return Promise.resolve();
  return Promise.all([loadWallet(), loadPositions(), loadOrders()]).catch((e) => toast(e.message));
}
/** Coalesce a burst of events into one read each (one batch sends several). */
function soon(load) {
  let pending = null;
  return () => {
    clearTimeout(pending);
    pending = setTimeout(() => load().catch((e) => toast(e.message)), 100);
  };
}
const refreshPositionsSoon = soon(loadPositions);
const refreshOrdersSoon = soon(loadOrders);
// The event carries the wallet, not what is available, and positions without their
// liquidation price: the exchange's figures are read again rather than computed here.
const refreshFiguresSoon = soon(() => Promise.all([loadWallet(), loadPositions()]));

// ---- market stream ----------------------------------------------------------------------
const lower = symbol.toLowerCase();
const liveStatus = $("live-status");
const loadMarket = () => Promise.all([
  book.resync(),
  fapi("GET", "/fapi/v1/trades", { symbol, limit: 50 }).then(renderTrades),
  fapi("GET", "/fapi/v1/premiumIndex", { symbol }).then(renderMark),
  fapi("GET", "/fapi/v1/ticker/24hr", { symbol }).then(renderTicker),
  loadKlines(),
]);
let marketState = "connecting", userState = user ? "connecting" : "live";
function showState() {
  const state = marketState === "live" && userState === "live" ? "live" : marketState === "live" ? userState : marketState;
  liveStatus.textContent = liveStatus.dataset.state = state;
}
const marketStream = new Stream(
  `/fstream/stream?streams=${lower}@depth@100ms/${lower}@aggTrade/${lower}@markPrice@1s/${lower}@ticker/${lower}@kline_${interval}`, {
    onState: (state) => { marketState = state; showState(); },
    onOpen: () => loadMarket().catch((e) => toast(e.message)),
    onMessage: (data, stream) => {
      if (!stream) return;  // answers to SUBSCRIBE
      if (data.e === "depthUpdate") book.push(data);
      else if (data.e === "aggTrade") {
        const tape = $("trades");
        tape.prepend(tradeLine({ id: data.a, price: data.p, qty: data.q, time: data.T, isBuyerMaker: data.m }));
        while (tape.children.length > 50) tape.lastChild.remove();
      } else if (data.e === "markPriceUpdate") {
        const moved = data.p !== $("f-mark").dataset.value;
        renderMark({ markPrice: data.p, indexPrice: data.i, lastFundingRate: data.r });
        if (moved && holding) refreshPositionsSoon();  // PnL and margin at the new mark, as the exchange computes them
      } else if (data.e === "24hrTicker") renderTicker({ count: data.n, lastPrice: data.c, volume: data.v });
      else if (data.e === "kline" && data.k.i === interval) {
        const [c, v] = bar([data.k.t, data.k.o, data.k.h, data.k.l, data.k.c, data.k.v]);
        candles.update(c);
        volumes.update(v);
        describe();
        $("chart-empty").hidden = true;
      }
    },
  });

let accountStream = null;
if (user) {
  accountStream = await userStream(api, {
    onState: (state) => { userState = state; showState(); },
    onOpen: refreshAccount,
    onMessage: (event) => {
      if (event.e === "ORDER_TRADE_UPDATE" && event.o.s === symbol) refreshOrdersSoon();
      else if (event.e === "ACCOUNT_UPDATE") refreshFiguresSoon();
    },
  }, "/fstream/ws");
}

// The fallback: while a stream is down the page still moves, slowly.
setInterval(() => {
  if (marketState !== "live") loadMarket().catch(() => {});
  if (user && userState !== "live") refreshAccount();
}, FALLBACK_MS);

// ---- forms ----------------------------------------------------------------------------
async function submitting(form, button, work, fieldFor = {}) {
  clearErrors(form);
  button.disabled = true;
  try {
    await work();
    refreshAccount();
  } catch (error) {
    showErrors(form, error, fieldFor);
  } finally {
    button.disabled = false;
  }
}

transferForm($("transfer-form"), () => contract.marginAsset, refreshAccount);

$("leverage-form").addEventListener("submit", (event) => {
  event.preventDefault();
  submitting(event.target, $("l-submit"), async () => {
    try {
      await fapi("POST", "/fapi/v1/marginType", { symbol, marginType: $("l-margin").value });
    } catch (error) {
      if (error.code !== "-4046") throw error;  // "No need to change margin type."
    }
    const set = await fapi("POST", "/fapi/v1/leverage", { symbol, leverage: $("l-leverage").value.trim() });
    $("l-leverage").value = set.leverage;
    toast(`Leverage ${set.leverage}x (up to ${fixed(set.maxNotionalValue, 0)} ${contract.quoteAsset})`);
  }, { "-4028": "leverage" });
});

const form = $("order-form");
const typeSelect = $("o-type");
const side = () => form.closest(".form-panel").querySelector("input[name=side]:checked").value;
// Types with a limit price (rest in the book once triggered) and types with a trigger.
const LIMIT_TYPES = new Set(["LIMIT", "STOP", "TAKE_PROFIT"]);
const TRIGGERED = new Set(["STOP", "TAKE_PROFIT", "STOP_MARKET", "TAKE_PROFIT_MARKET"]);
function layout() {
  const type = typeSelect.value;
  const show = (name, on) => form.querySelectorAll(`[data-for="${name}"]`).forEach((e) => (e.hidden = !on));
  show("price", LIMIT_TYPES.has(type));
  show("tif", LIMIT_TYPES.has(type));
  show("stop", TRIGGERED.has(type));
  const s = side();
  $("o-submit").textContent = s === "BUY" ? "Buy / Long" : "Sell / Short";
  $("o-submit").className = `btn block ${s === "BUY" ? "buy" : "sell"}`;
  clearErrors(form);
}
typeSelect.addEventListener("change", layout);
document.querySelectorAll("input[name=side]").forEach((r) => r.addEventListener("change", layout));

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!user) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  const type = typeSelect.value;
  const params = { symbol, side: side(), type, quantity: $("o-qty").value.trim() };
  if (LIMIT_TYPES.has(type)) Object.assign(params, { price: $("o-price").value.trim(), timeInForce: $("o-tif").value });
  if (TRIGGERED.has(type)) params.stopPrice = $("o-stop").value.trim();
  if ($("o-reduce").checked) params.reduceOnly = "true";
  submitting(form, $("o-submit"), async () => {
    const order = await fapi("POST", "/fapi/v1/order", params);
    toast(`Order ${order.orderId} ${order.status.toLowerCase()}: ${order.side} ${qty(order.origQty)} ${contract.baseAsset}`);
  }, { "-2019": "quantity", "-2010": "quantity", "-4164": "quantity", "-1111": "quantity", "-4014": "price", "-2022": "quantity" });
});

document.querySelectorAll("[data-tab]").forEach((tab) => tab.addEventListener("click", () => {
  document.querySelectorAll("[data-tab]").forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
  document.querySelectorAll("[data-pane]").forEach((p) => (p.hidden = p.dataset.pane !== tab.dataset.tab));
}));
$("cancel-all").addEventListener("click", () =>
  fapi("DELETE", "/fapi/v1/allOpenOrders", { symbol }).then(refreshAccount).catch((e) => toast(e.message)));

layout();

// For people debugging the page and for the browser tests: the live objects.
window.exchangePage = { book, marketStream, userStream: accountStream, ready: true };
