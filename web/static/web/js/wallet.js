// Wallet: balances (live from the user stream), deposit address and test deposits on
// the simulated chain, withdrawal requests, and the ledger, newest first.

import { api, clearErrors, currentUser, fapi, showErrors, toast } from "./api.js";
import { dateTime, el, fixed, row } from "./format.js";
import { transferForm } from "./transfer.js";
import { askForCodeIfEnabled, showCodeField } from "./two_factor.js";
import { userStream } from "./ws.js";

const $ = (id) => document.getElementById(id);
if (!(await currentUser())) location.replace(`/login?next=${encodeURIComponent(location.pathname)}`);

const balances = new Map();
const assets = new Set();
function renderBalances() {
  const body = document.querySelector("#balances tbody");
  body.replaceChildren(...[...balances.values()].sort((a, b) => a.asset.localeCompare(b.asset)).map((b) => {
    const total = addDecimals(b.available, b.locked);
    return row([b.asset, { class: "num", text: fixed(b.available, 8) }, { class: "num", text: fixed(b.locked, 8) },
      { class: "num", text: fixed(total, 8) }], { "data-asset": b.asset });
  }));
  if (!balances.size) body.append(row([{ colspan: 4, class: "muted", text: "No balances yet: make a test deposit." }]));
}
function addDecimals(a, b) {
  const n = Math.max((a.split(".")[1] || "").length, (b.split(".")[1] || "").length);
  const big = (s) => BigInt(s.split(".")[0] + (s.split(".")[1] || "").padEnd(n, "0"));
  const digits = (big(a) + big(b)).toString().padStart(n + 1, "0");
  return n ? `${digits.slice(0, -n)}.${digits.slice(-n)}` : digits;
}
async function loadBalances() {
  for (const b of await api("GET", "/balances")) balances.set(b.asset, b);
  renderBalances();
}

async function loadAssets() {
  for (const m of await api("GET", "/markets")) { assets.add(m.base); assets.add(m.quote); }
  for (const id of ["d-asset", "w-asset"]) {
    $(id).replaceChildren(...[...assets].sort().map((a) => el("option", { value: a, text: a })));
    if (assets.has("USDT")) $(id).value = "USDT";
  }
  await showAddress();
}
async function showAddress() {
  try {
    const address = await api("GET", "/deposit-address", { query: { asset: $("d-asset").value } });
    $("d-address").textContent = address.address + (address.memo ? ` memo ${address.memo}` : "");
    $("d-network").textContent = `(${address.network})`;
  } catch (error) {
    $("d-address").textContent = error.message;
    $("d-network").textContent = "";
  }
}
$("d-asset").addEventListener("change", showAddress);

// The futures wallet (/fapi/v2/balance) of the margin asset chosen in the transfer form.
async function loadMarginAssets() {
  const info = await fapi("GET", "/fapi/v1/exchangeInfo");
  const margin = info.assets.map((a) => a.asset).sort();
  $("x-asset").replaceChildren(...margin.map((a) => el("option", { value: a, text: a })));
  await loadFutures();
}
async function loadFutures() {
  const asset = $("x-asset").value;
  const held = (await fapi("GET", "/fapi/v2/balance")).find((b) => b.asset === asset);
  const balance = held ? held.balance : "0";
  $("fw-balance").textContent = `${fixed(balance, 8)} ${asset}`;
  $("fw-balance").dataset.value = balance;
}
$("x-asset").addEventListener("change", () => loadFutures().catch((e) => toast(e.message)));
transferForm($("transfer-form"), () => $("x-asset").value,
  () => Promise.all([loadBalances(), loadFutures(), loadLedger(true)]));

const depositForm = $("deposit-form");
depositForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(depositForm);
  try {
    const made = await api("POST", "/test-deposits", { body: { asset: $("d-asset").value, amount: $("d-amount").value.trim() } });
    toast(made.credited ? `${made.amount} ${made.asset} credited` : `${made.amount} ${made.asset} sent; waiting for confirmations`);
    $("d-amount").value = "";
    await Promise.all([loadBalances(), loadLedger(true)]);
  } catch (error) {
    showErrors(depositForm, error, { INVALID_AMOUNT: "amount", AMOUNT_PRECISION: "amount", TEST_DEPOSIT_TOO_LARGE: "amount" });
  }
});

const withdrawForm = $("withdraw-form");
withdrawForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(withdrawForm);
  const body = { asset: $("w-asset").value, network: $("w-network").value.trim(), address: $("w-address").value.trim(), amount: $("w-amount").value.trim() };
  if ($("w-otp").value.trim()) body.otp_code = $("w-otp").value.trim();
  try {
    const w = await api("POST", "/withdrawals", { body });
    toast(`Withdrawal ${w.id} requested: waiting for approval`);
    $("w-amount").value = "";
    $("w-address").value = "";
    $("w-otp").value = "";
    await Promise.all([loadBalances(), loadWithdrawals(), loadLedger(true)]);
  } catch (error) {
    if (error.code.startsWith("TWO_FACTOR_")) showCodeField(withdrawForm);
    showErrors(withdrawForm, error, {
      INSUFFICIENT_BALANCE: "amount", AMOUNT_BELOW_MINIMUM: "amount", DAILY_LIMIT_EXCEEDED: "amount",
      INVALID_ADDRESS: "address", ADDRESS_NOT_WHITELISTED: "address", UNKNOWN_NETWORK: "network", WITHDRAW_DISABLED: "network",
    });
  }
});

async function loadWithdrawals() {
  const page = await api("GET", "/withdrawals", { query: { limit: 20 } });
  document.querySelector("#withdrawals tbody").replaceChildren(...page.results.map((w) => row([
    dateTime(w.created_at), w.asset, { class: "num", text: fixed(w.amount, 8) }, w.status,
    w.status === "PENDING"
      ? el("button", { type: "button", class: "btn small ghost", text: "Cancel", "aria-label": `Cancel withdrawal ${w.id}`,
        onclick: () => api("POST", `/withdrawals/${w.id}/cancel`).then(() => Promise.all([loadWithdrawals(), loadBalances()])).catch((e) => toast(e.message)) })
      : "",
  ])));
}

let ledgerCursor = null;
async function loadLedger(fresh = false) {
  if (fresh) ledgerCursor = null;
  const page = await api("GET", "/ledger", { query: { limit: 25, cursor: ledgerCursor } });
  const rows = page.results.map((l) => row([
    dateTime(l.created_at), l.asset, { class: `num ${l.amount.startsWith("-") ? "down" : "up"}`, text: fixed(l.amount, 8) },
    l.bucket || "", l.reason, l.reference,
  ]));
  const body = document.querySelector("#ledger tbody");
  if (fresh || ledgerCursor === null) body.replaceChildren(...rows); else body.append(...rows);
  ledgerCursor = page.next_cursor;
  $("ledger-more").hidden = !ledgerCursor;
}
$("ledger-more").addEventListener("click", () => loadLedger().catch((e) => toast(e.message)));

// Futures are optional for the wallet: their failure leaves the spot wallet working.
await Promise.all([loadAssets(), loadMarginAssets().catch((e) => toast(e.message)), askForCodeIfEnabled(withdrawForm)]);
await userStream(api, {
  onOpen: () => Promise.all([loadBalances(), loadWithdrawals(), loadLedger(true)]).catch((e) => toast(e.message)),
  onMessage: (event) => {
    if (event.e === "outboundAccountPosition") {
      for (const b of event.B) balances.set(b.a, { asset: b.a, available: b.f, locked: b.l });
      renderBalances();
    } else if (event.e === "balanceUpdate") loadLedger(true).catch(() => {});
    else if (event.e === "ACCOUNT_UPDATE") loadFutures().catch(() => {});
  },
});
