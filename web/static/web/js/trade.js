// The spot trading screen: chart, live book, tape, order form, and the trader's orders,
// fills and balances. Reads REST snapshots, then follows the market and user streams;
// after any reconnection it takes new snapshots (the snapshot-plus-diff rule).

import { api, currentUser, showErrors, clearErrors, toast } from "./api.js";
import { LocalBook } from "./book.js";
import { compare, dateTime, decimalsOf, el, fixed, multiply, percent, row, time } from "./format.js";
import { Stream, userStream } from "./ws.js";
import { candleChart } from "./chart.js";

const INTERVALS = ["1m", "5m", "15m", "1h", "4h", "1d", "1w"];
const root = document.getElementById("trade");
const $ = (id) => document.getElementById(id);

const markets = await api("GET", "/markets");
const symbol = root.dataset.symbol;
if (!symbol && markets.length) {
  location.replace(`/trade/${markets[0].symbol}`);
  await new Promise(() => {});  // the page is being replaced
}
const market = markets.find((m) => m.symbol === symbol);
if (!market) {
  root.replaceChildren(el("section", { class: "panel wide" }, el("h1", { text: `No market ${symbol}` }),
    el("p", {}, el("a", { href: "/", text: "See all markets" }))));
  throw new Error(`unknown market ${symbol}`);
}
const priceDp = decimalsOf(market.tick_size), qtyDp = decimalsOf(market.step_size);
const px = (v) => fixed(v, priceDp), qty = (v) => fixed(v, qtyDp);
document.title = `${market.base}/${market.quote} · Open Exchange`;
document.querySelectorAll(".unit.base").forEach((e) => (e.textContent = market.base));
document.querySelectorAll(".unit.quote").forEach((e) => (e.textContent = market.quote));

const select = $("market-select");
for (const m of markets) select.append(el("option", { value: m.symbol, text: `${m.base}/${m.quote}`, selected: m.symbol === symbol ? "" : null }));
select.addEventListener("change", () => (location.href = `/trade/${select.value}`));

// ---- chart -------------------------------------------------------------------
let interval = localStorage.getItem("interval") || "1h";
const { chart, candles, volumes, describe } = candleChart($("chart"), { precision: priceDp, minMove: Number(market.tick_size) });

function bar(k) {
  const t = Math.floor(k.open_time / 1000);
  const up = Number(k.close) >= Number(k.open);  // drawing only
  return [
    { time: t, open: Number(k.open), high: Number(k.high), low: Number(k.low), close: Number(k.close) },
    { time: t, value: Number(k.volume), color: up ? "rgba(22,199,132,0.45)" : "rgba(234,57,67,0.45)" },
  ];
}

async function loadKlines() {
  const klines = await api("GET", `/markets/${symbol}/klines`, { query: { interval, limit: 500 } });
  const bars = klines.map(bar);
  candles.setData(bars.map((b) => b[0]));
  volumes.setData(bars.map((b) => b[1]));
  describe();
  $("chart-empty").hidden = bars.length > 0;
}

const intervals = $("intervals");
for (const i of INTERVALS) {
  intervals.append(el("button", { type: "button", class: "tab", "aria-pressed": String(i === interval), "data-interval": i, text: i,
    onclick: () => setInterval_(i) }));
}
function setInterval_(next) {
  if (next === interval) return;
  market_stream.send({ method: "UNSUBSCRIBE", params: [`${lower}@kline_${interval}`], id: Date.now() });
  interval = next;
  localStorage.setItem("interval", interval);
  intervals.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.interval === interval)));
  market_stream.send({ method: "SUBSCRIBE", params: [`${lower}@kline_${interval}`], id: Date.now() });
  loadKlines().catch((e) => toast(e.message));
}

// ---- order book --------------------------------------------------------------
function renderBook(book) {
  const { bids, asks } = book.levels(15);
  const totalOf = (levels) => levels.reduce((sum, [, q]) => sum + Number(q), 0);  // bar widths only
  const most = Math.max(totalOf(bids), totalOf(asks)) || 1;
  const lines = (levels, side) => {
    let running = 0;
    return levels.map(([p, q]) => {
      running += Number(q);
      const line = el("button", { type: "button", class: `level ${side}`, "data-price": p, title: `Use price ${px(p)}`,
        onclick: () => { $("o-price").value = p; updateEstimate(); } },
        el("span", { class: "price", text: px(p) }), el("span", { text: qty(q) }),
        el("span", { class: "muted", text: qty(String(running.toFixed(qtyDp))) }));
      const depth = el("i", { class: "depth", "aria-hidden": "true" });
      depth.style.width = `${Math.min(100, (running / most) * 100)}%`;
      line.prepend(depth);
      return line;
    });
  };
  $("asks").replaceChildren(...lines(asks, "ask").reverse());
  $("bids").replaceChildren(...lines(bids, "bid"));
  const spread = asks.length && bids.length ? `Spread ${px(String((Number(asks[0][0]) - Number(bids[0][0])).toFixed(priceDp)))}` : "–";
  $("spread").textContent = spread;
}
const book = new LocalBook(() => api("GET", `/markets/${symbol}/depth`, { query: { limit: 1000 } }), renderBook);

// ---- trades tape and ticker ----------------------------------------------------
function tradeLine(t) {
  return el("div", { class: `tick ${t.is_buyer_maker ? "ask" : "bid"}`, "data-trade-id": t.id },
    el("span", { class: "price", text: px(t.price) }), el("span", { text: qty(t.qty) }), el("span", { class: "muted", text: time(t.time) }));
}
async function loadTrades() {
  const trades = await api("GET", `/markets/${symbol}/trades`, { query: { limit: 50 } });
  $("trades").replaceChildren(...trades.reverse().map(tradeLine));
}
function showTicker(last, change, high, low, volume) {
  $("t-last").textContent = px(last);
  $("t-change").textContent = percent(change);
  $("t-change").className = String(change).startsWith("-") ? "down" : "up";
  $("t-high").textContent = px(high);
  $("t-low").textContent = px(low);
  $("t-volume").textContent = `${qty(volume)} ${market.base}`;
}
async function loadTicker() {
  try {
    const t = await api("GET", `/markets/${symbol}/ticker`);
    if (!t.count) return;  // no trade in 24 h: no price to show yet
    showTicker(t.last_price, t.price_change_percent, t.high_price, t.low_price, t.volume);
  } catch (error) {
    if (error.code !== "NO_DATA") throw error;
  }
}

// ---- market stream -------------------------------------------------------------
const lower = symbol.toLowerCase();
const liveStatus = $("live-status");
const market_stream = new Stream(`/stream?streams=${lower}@depth/${lower}@trade/${lower}@ticker/${lower}@kline_${interval}`, {
  onState: (state) => { liveStatus.textContent = state; liveStatus.dataset.state = state; },
  onOpen: () => {
    Promise.all([book.resync(), loadTrades(), loadTicker(), loadKlines()]).catch((e) => toast(e.message));
  },
  onMessage: (data, stream) => {
    if (!stream) return;  // answers to SUBSCRIBE
    if (data.e === "depthUpdate") book.push(data);
    else if (data.e === "trade") {
      const tape = $("trades");
      tape.prepend(tradeLine({ id: data.t, price: data.p, qty: data.q, time: data.T, is_buyer_maker: data.m }));
      while (tape.children.length > 50) tape.lastChild.remove();
    } else if (data.e === "24hrTicker") showTicker(data.c, data.P, data.h, data.l, data.v);
    else if (data.e === "kline" && data.k.i === interval) {
      const [c, v] = bar({ open_time: data.k.t, open: data.k.o, high: data.k.h, low: data.k.l, close: data.k.c, volume: data.k.v });
      candles.update(c);
      volumes.update(v);
      describe();
      $("chart-empty").hidden = true;
    }
  },
});

// ---- order form ----------------------------------------------------------------
const form = $("order-form");
const typeSelect = $("o-type");
const side = () => form.closest(".form-panel").querySelector("input[name=side]:checked").value;
const LIMITS = new Set(["LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]);
const STOPS = new Set(["STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]);
function layout() {
  const type = typeSelect.value;
  const byQuote = type === "MARKET" && $("o-by").value === "quote";
  const show = (name, on) => form.querySelectorAll(`[data-for="${name}"]`).forEach((e) => (e.hidden = !on));
  show("price", LIMITS.has(type));
  show("stop", STOPS.has(type));
  show("tif", LIMITS.has(type));
  show("post-only", type === "LIMIT");
  show("market-by", type === "MARKET");
  show("quantity", !byQuote);
  show("quote", byQuote);
  const s = side();
  const submit = $("o-submit");
  submit.textContent = `${s === "BUY" ? "Buy" : "Sell"} ${market.base}`;
  submit.className = `btn block ${s === "BUY" ? "buy" : "sell"}`;
  clearErrors(form);
  showAvailable();
  updateEstimate();
}
typeSelect.addEventListener("change", layout);
$("o-by").addEventListener("change", layout);
document.querySelectorAll("input[name=side]").forEach((r) => r.addEventListener("change", layout));
$("o-post").addEventListener("change", () => ($("o-tif").disabled = $("o-post").checked));
["o-price", "o-qty"].forEach((id) => $(id).addEventListener("input", updateEstimate));
function updateEstimate() {
  const total = multiply($("o-price").value.trim(), $("o-qty").value.trim());
  $("est").textContent = total && LIMITS.has(typeSelect.value) ? `${px(total)} ${market.quote}` : "–";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const type = typeSelect.value;
  const body = { symbol, side: side(), type };
  if (LIMITS.has(type)) body.price = $("o-price").value.trim();
  if (STOPS.has(type)) body.stop_price = $("o-stop").value.trim();
  if (type === "MARKET" && $("o-by").value === "quote") body.quote_order_qty = $("o-quote").value.trim();
  else body.quantity = $("o-qty").value.trim();
  if (type === "LIMIT" && $("o-post").checked) body.type = "LIMIT_MAKER";
  else if (LIMITS.has(type)) body.time_in_force = $("o-tif").value;
  const amountField = body.quote_order_qty !== undefined ? "quote_order_qty" : "quantity";
  const submit = $("o-submit");
  submit.disabled = true;
  try {
    const order = await api("POST", "/orders", { body });
    toast(`Order ${order.id} placed: ${order.side} ${qty(order.quantity || "0")} ${market.base}`);
    await refreshOrders();
  } catch (error) {
    if (error.status === 401 || error.status === 403 && error.code === "NOT_AUTHENTICATED") {
      location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
      return;
    }
    showErrors(form, error, {
      INSUFFICIENT_BALANCE: amountField, NOTIONAL_TOO_SMALL: amountField, NOTIONAL_TOO_LARGE: amountField,
      PRICE_TICK: "price", QUANTITY_STEP: "quantity", QUANTITY_TOO_SMALL: "quantity", QUANTITY_TOO_LARGE: "quantity",
    });
  } finally {
    submit.disabled = false;
  }
});

// ---- my orders, fills, balances -------------------------------------------------
const balances = new Map();
function showAvailable() {
  const asset = side() === "BUY" ? market.quote : market.base;
  const b = balances.get(asset);
  $("avail").textContent = `${b ? fixed(b.available, 8) : "0"} ${asset}`;
}
function renderBalances() {
  const body = document.querySelector("#balances tbody");
  body.replaceChildren(...[market.base, market.quote].map((asset) => {
    const b = balances.get(asset) || { available: "0", locked: "0" };
    return row([asset, { class: "num", text: fixed(b.available, 8) }, { class: "num", text: fixed(b.locked, 8) }], { "data-asset": asset });
  }));
  showAvailable();
}
async function loadBalances() {
  for (const b of await api("GET", "/balances")) balances.set(b.asset, b);
  renderBalances();
}

function sideCell(s) { return { class: s === "BUY" ? "up" : "down", text: s === "BUY" ? "Buy" : "Sell" }; }
function typeName(t) { return t.replace(/_/g, " ").toLowerCase().replace(/^./, (c) => c.toUpperCase()); }

async function refreshOrders() {
  const [open, history, fills] = await Promise.all([
    api("GET", "/orders", { query: { symbol, open: "true", limit: 100 } }),
    api("GET", "/orders", { query: { symbol, limit: 50 } }),
    api("GET", "/my-trades", { query: { symbol, limit: 50 } }),
  ]);
  const openBody = document.querySelector("#open-orders tbody");
  openBody.replaceChildren(...open.results.map((o) => row([
    dateTime(o.created_at), sideCell(o.side), typeName(o.type),
    { class: "num", text: o.price ? px(o.price) : "Market" }, { class: "num", text: o.stop_price ? px(o.stop_price) : "–" },
    { class: "num", text: o.quantity ? qty(o.quantity) : "–" }, { class: "num", text: qty(o.executed_qty) },
    o.cancel_requested ? "Cancelling…" : o.status,
    el("button", { type: "button", class: "btn small ghost", "aria-label": `Cancel order ${o.id}`, text: "Cancel",
      onclick: () => api("POST", `/orders/${o.id}/cancel`).then(refreshOrders).catch((e) => toast(e.message)) }),
  ], { "data-order-id": o.id })));
  if (!open.results.length) openBody.append(row([{ colspan: 9, class: "muted", text: "No open orders." }]));
  $("open-count").textContent = open.results.length ? `(${open.results.length})` : "";
  document.querySelector("#order-history tbody").replaceChildren(...history.results.map((o) => row([
    dateTime(o.created_at), sideCell(o.side), typeName(o.type),
    { class: "num", text: o.price ? px(o.price) : "Market" }, { class: "num", text: o.quantity ? qty(o.quantity) : "–" },
    { class: "num", text: qty(o.executed_qty) }, { class: "num", text: px(o.cumulative_quote_qty) }, o.status,
  ], { "data-order-id": o.id })));
  document.querySelector("#fills tbody").replaceChildren(...fills.slice().reverse().map((f) => row([
    dateTime(f.time), sideCell(f.side), { class: "num", text: px(f.price) }, { class: "num", text: qty(f.qty) },
    { class: "num", text: px(f.quote_qty) }, { class: "num", text: `${fixed(f.commission, 8)} ${f.commission_asset}` },
    f.is_maker ? "Maker" : "Taker",
  ], { "data-trade-id": f.id })));
}

document.querySelectorAll("[data-tab]").forEach((tab) => tab.addEventListener("click", () => {
  document.querySelectorAll("[data-tab]").forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
  document.querySelectorAll("[data-pane]").forEach((p) => (p.hidden = p.dataset.pane !== tab.dataset.tab));
}));
$("cancel-all").addEventListener("click", () =>
  api("POST", "/orders/cancel-all", { body: { symbol } }).then(refreshOrders).catch((e) => toast(e.message)));

let pending;
function refreshSoon() {
  clearTimeout(pending);
  pending = setTimeout(() => refreshOrders().catch((e) => toast(e.message)), 100);
}

let user_stream = null;
const user = await currentUser();
layout();
if (user) {
  user_stream = await userStream(api, {
    onOpen: () => Promise.all([loadBalances(), refreshOrders()]).catch((e) => toast(e.message)),
    onMessage: (event) => {
      if (event.e === "executionReport" && event.s === symbol) refreshSoon();
      else if (event.e === "outboundAccountPosition") {
        for (const b of event.B) balances.set(b.a, { asset: b.a, available: b.f, locked: b.l });
        renderBalances();
      }
    },
  });
} else {
  $("cancel-all").hidden = true;
}

// For people debugging the page and for the browser tests: the live objects.
window.exchangePage = { book, marketStream: market_stream, userStream: user_stream, ready: true };
