// The second factor on the page: the code field that forms guarded by it show when
// two-factor is on (GET /api/v1/two-factor), and the account security page's steps.

import { api } from "./api.js";

/** Reveal the form's "Authentication code" field. */
export function showCodeField(form) {
  const field = form.querySelector(".otp-field");
  if (field) field.hidden = false;
}

/** Show the code field from the start when the user has two-factor on. */
export async function askForCodeIfEnabled(form) {
  const status = await api("GET", "/two-factor").catch(() => null);
  if (status && status.enabled) showCodeField(form);
}
