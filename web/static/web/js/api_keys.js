// API keys: create with permissions and an IP whitelist (the secret is shown once, kept
// only in this page's memory), list the live keys, revoke.

import { api, clearErrors, currentUser, showErrors, toast } from "./api.js";
import { askForCodeIfEnabled, showCodeField } from "./two_factor.js";
import { dateTime, el, row } from "./format.js";

const $ = (id) => document.getElementById(id);
if (!(await currentUser())) location.replace(`/login?next=${encodeURIComponent(location.pathname)}`);

async function load() {
  const keys = await api("GET", "/api-keys");
  const body = document.querySelector("#keys tbody");
  body.replaceChildren(...keys.map((k) => row([
    k.label, el("code", { text: k.key }), k.permissions.join(", "), k.ip_whitelist.length ? k.ip_whitelist.join(", ") : "any",
    dateTime(k.created_at),
    el("button", { type: "button", class: "btn small ghost", text: "Revoke", "aria-label": `Revoke key ${k.label}`,
      onclick: async () => {
        if (!confirm(`Revoke the key "${k.label}"? Bots using it stop working.`)) return;
        await api("DELETE", `/api-keys/${k.id}`).catch((e) => toast(e.message));
        await Promise.all([load(), askForCodeIfEnabled(form)]);
      } }),
  ], { "data-key-id": k.id })));
  if (!keys.length) body.append(row([{ colspan: 6, class: "muted", text: "No API keys yet." }]));
}

const form = $("key-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const ips = $("k-ips").value.split(",").map((s) => s.trim()).filter(Boolean);
  const body = {
    label: $("k-label").value.trim(),
    permissions: [...form.querySelectorAll("input[name=perm]:checked")].map((c) => c.value),
  };
  if (ips.length) body.ip_whitelist = ips;
  if ($("k-otp").value.trim()) body.otp_code = $("k-otp").value.trim();
  try {
    const created = await api("POST", "/api-keys", { body });
    $("new-key").textContent = created.key;
    $("new-secret").textContent = created.secret;
    $("secret-box").hidden = false;
    form.reset();
    await Promise.all([load(), askForCodeIfEnabled(form)]);
  } catch (error) {
    if (error.code.startsWith("TWO_FACTOR_")) showCodeField(form);
    showErrors(form, error, { INVALID_LABEL: "label", INVALID_PERMISSIONS: "permissions", INVALID_IP_WHITELIST: "ip_whitelist" });
  }
});
$("secret-done").addEventListener("click", () => {
  $("new-secret").textContent = "";
  $("secret-box").hidden = true;
});

await Promise.all([load(), askForCodeIfEnabled(form)]);
