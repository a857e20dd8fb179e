// Decimal strings formatted without floats: the API's money is text and stays text.

/** Number of decimals a step such as "0.01" allows (0 for "1" or "10"). */
export function decimalsOf(step) {
  const [, fraction = ""] = String(step).split(".");
  const trimmed = fraction.replace(/0+$/, "");
  return trimmed.length;
}

/** "1234.5" with 2 decimals → "1,234.50"; truncates, never rounds up money. */
export function fixed(value, decimals, { group = true } = {}) {
  if (value === null || value === undefined || value === "") return "–";
  let text = String(value);
  const negative = text.startsWith("-");
  if (negative) text = text.slice(1);
  let [whole, fraction = ""] = text.split(".");
  fraction = (fraction + "0".repeat(decimals)).slice(0, decimals);
  if (group) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (negative ? "-" : "") + whole + (decimals ? "." + fraction : "");
}

/** Compare two non-negative decimal strings exactly. */
export function compare(a, b) {
  const [aw, af = ""] = String(a).split(".");
  const [bw, bf = ""] = String(b).split(".");
  const awt = aw.replace(/^0+(?=\d)/, ""), bwt = bw.replace(/^0+(?=\d)/, "");
  if (awt.length !== bwt.length) return awt.length < bwt.length ? -1 : 1;
  if (awt !== bwt) return awt < bwt ? -1 : 1;
  const n = Math.max(af.length, bf.length);
  const ap = af.padEnd(n, "0"), bp = bf.padEnd(n, "0");
  return ap === bp ? 0 : ap < bp ? -1 : 1;
}

export function isZero(value) {
  return /^0*(\.0*)?$/.test(String(value));
}

export function time(ms) {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

export function dateTime(value) {
  const d = new Date(value);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString([], { hour12: false })}`;
}

/** Percent change with sign, as the ticker gives it ("-1.234" → "-1.23%"). */
export function percent(value, decimals = 2) {
  if (value === null || value === undefined) return "–";
  const text = fixed(value, decimals, { group: false });
  return (text.startsWith("-") ? "" : "+") + text + "%";
}

/** A funding rate, a fraction per interval ("-0.0001"), as Binance shows it: "-0.0100%".
 * Four decimals, because rates live around a hundredth of a percent. */
export function fundingRate(value) {
  if (value === null || value === undefined || value === "") return "–";
  const rate = String(value), negative = rate.startsWith("-");
  return percent((negative ? "-" : "") + multiply(rate.replace(/^-/, ""), "100"), 4);
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

export function row(cells, attrs = {}) {
  return el("tr", attrs, ...cells.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", typeof c === "object" && c ? c : { text: c }))));
}

/** Exact product of two decimal strings, as a decimal string. */
export function multiply(a, b) {
  const scale = (s) => {
    const [w, f = ""] = String(s).split(".");
    return [BigInt(w + f || "0"), f.length];
  };
  if (!/^\d*\.?\d*$/.test(a) || !/^\d*\.?\d*$/.test(b) || a === "" || b === "") return null;
  const [x, dx] = scale(a), [y, dy] = scale(b);
  const digits = (x * y).toString().padStart(dx + dy + 1, "0");
  const cut = digits.length - (dx + dy);
  return dx + dy ? `${digits.slice(0, cut)}.${digits.slice(cut)}` : digits;
}
