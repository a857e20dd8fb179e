// The page's only way to the exchange: the public REST API (/api/v1) and GraphQL,
// with the session cookie (HttpOnly) and Django's CSRF header. No token is stored.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `Request failed (${status})`);
    this.status = status;
    this.code = (body && body.code) || "ERROR";
    this.fields = (body && body.fields) || {};
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function api(method, path, { body, query } = {}) {
  const url = new URL(`/api/v1${path}`, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function graphql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify({ query, variables }),
  });
  const data = await response.json();
  if (data.errors && data.errors.length) {
    const first = data.errors[0];
    throw new ApiError(response.status, {
      code: (first.extensions && first.extensions.code) || "ERROR",
      detail: first.message,
    });
  }
  return data.data;
}

/** Binance's USDⓈ-M dialect (/fapi, and /sapi's transfer) with the session cookie: the
 * futures screen's API (docs/adr/0035). Parameters go as Binance takes them (query or
 * form); its {code, msg} errors become ApiErrors, with the field a message names. */
export async function fapi(method, path, params = {}) {
  const url = new URL(path, location.origin);
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") form.set(k, v);
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (method === "GET") url.search = form.toString();
  else {
    headers["X-CSRFToken"] = csrfToken();
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    init.body = form.toString();
  }
  const response = await fetch(url, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = (data && (data.msg || data.detail)) || `Request failed (${response.status})`;
    const named = /parameter '(\w+)'/i.exec(message);
    throw new ApiError(response.status, {
      code: data && data.code !== undefined ? String(data.code) : "ERROR",
      detail: message,
      fields: named ? { [named[1]]: message } : {},
    });
  }
  return data;
}

let me;
/** The signed-in user, or null (asked once per page). */
export function currentUser() {
  if (me === undefined) {
    me = api("GET", "/me").catch((error) => {
      if (error.status === 401 || error.status === 403) return null;
      throw error;
    });
  }
  return me;
}

/** Show an API error in words next to the field it concerns (or above the button). */
export function showErrors(form, error, fieldFor = {}) {
  clearErrors(form);
  const fields = Object.keys((error && error.fields) || {});
  const normal = (name) => name.replace(/[_-]/g, "").toLowerCase();
  const targets = [...form.querySelectorAll("[data-field]")];
  let placed = false;
  const wanted = fields.length ? fields : [fieldFor[error.code]].filter(Boolean);
  for (const name of wanted) {
    const target = targets.find((t) => normal(t.dataset.field) === normal(name));
    if (target && !target.closest("[hidden]")) {
      const detail = error.fields && typeof error.fields[name] !== "string" && error.code === "INVALID_INPUT"
        ? [].concat(error.fields[name]).join(" ")
        : error.message;
      target.textContent = detail;
      target.dataset.code = error.code;  // the API's stable code, for styling and tests
      const input = form.querySelector(`#${target.id.replace(/^e-/, "")}`) ||
        form.querySelector(`[aria-describedby~="${target.id}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
      placed = true;
    }
  }
  if (!placed) {
    const general = form.querySelector(".form-error");
    general.textContent = error.message;
    general.dataset.code = error.code;
  }
}

export function clearErrors(form) {
  form.querySelectorAll("[data-field], .form-error").forEach((e) => {
    e.textContent = "";
    delete e.dataset.code;
  });
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
}

export function toast(text) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove("show"), 4000);
}
