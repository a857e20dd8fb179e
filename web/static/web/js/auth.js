// Sign up and log in: the REST account endpoints, then a browser session.

import { api, clearErrors, showErrors } from "./api.js";

const form = document.getElementById("auth-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const credentials = { email: form.email.value.trim(), password: form.password.value };
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    if (form.dataset.mode === "signup") await api("POST", "/auth/register", { body: credentials });
    await api("POST", "/auth/session", { body: credentials });
    const next = new URLSearchParams(location.search).get("next");
    location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/trade";
  } catch (error) {
    showErrors(form, error, {
      INVALID_EMAIL: "email", EMAIL_TAKEN: "email", WEAK_PASSWORD: "password", INVALID_CREDENTIALS: "password",
    });
  } finally {
    button.disabled = false;
  }
});
