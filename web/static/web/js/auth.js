// Sign up and log in: the REST account endpoints, then a browser session. With
// two-factor on, the session answers TWO_FACTOR_CODE_REQUIRED to the password alone:
// the form then shows its code field, and the next submit sends the code too.

import { api, clearErrors, showErrors } from "./api.js";
import { showCodeField } from "./two_factor.js";

const form = document.getElementById("auth-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const credentials = { email: form.email.value.trim(), password: form.password.value };
  const code = form.otp_code && !form.otp_code.closest("[hidden]") ? form.otp_code.value.trim() : "";
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    if (form.dataset.mode === "signup") await api("POST", "/auth/register", { body: credentials });
    await api("POST", "/auth/session", { body: code ? { ...credentials, otp_code: code } : credentials });
    const next = new URLSearchParams(location.search).get("next");
    location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/trade";
  } catch (error) {
    if (error.code && error.code.startsWith("TWO_FACTOR_") && form.otp_code) {
      showCodeField(form);
      form.otp_code.focus();
    }
    showErrors(form, error, {
      INVALID_EMAIL: "email", EMAIL_TAKEN: "email", WEAK_PASSWORD: "password", INVALID_CREDENTIALS: "password",
    });
  } finally {
    button.disabled = false;
  }
});
