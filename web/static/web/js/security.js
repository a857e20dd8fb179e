// Account security: turn two-factor on (QR code, confirm with a code, recovery codes
// shown once and kept only in this page's memory) or off (with a current code).

import { api, clearErrors, currentUser, showErrors, toast } from "./api.js";
import { el } from "./format.js";

const $ = (id) => document.getElementById(id);
if (!(await currentUser())) location.replace(`/login?next=${encodeURIComponent(location.pathname)}`);

async function load() {
  const status = await api("GET", "/two-factor");
  $("tf-status").textContent = status.enabled
    ? `Two-factor is on. Recovery codes left: ${status.recovery_codes_left}.`
    : "Two-factor is off.";
  $("tf-status").dataset.enabled = String(status.enabled);
  $("tf-off").hidden = status.enabled;
  $("tf-disable").hidden = !status.enabled;
  $("tf-enrol").hidden = true;
}

$("tf-begin").addEventListener("click", async () => {
  try {
    const enrolment = await api("POST", "/two-factor/enrolment");
    // A data: URL (allowed by the page's img-src), never markup put into the page.
    $("tf-qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qr_svg)}`;
    $("tf-secret").textContent = enrolment.secret;
    $("tf-off").hidden = true;
    $("tf-enrol").hidden = false;
    $("tf-code").focus();
  } catch (error) {
    toast(error.message);
  }
});

$("tf-enrol").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  try {
    const done = await api("POST", "/two-factor/enrolment/confirm", { body: { otp_code: $("tf-code").value.trim() } });
    $("tf-recovery-codes").replaceChildren(...done.recovery_codes.map((c) => el("li", {}, el("code", { text: c }))));
    $("tf-recovery").hidden = false;
    form.reset();
    await load();
  } catch (error) {
    showErrors(form, error, {});
  }
});

$("tf-recovery-done").addEventListener("click", () => {
  $("tf-recovery-codes").replaceChildren();
  $("tf-recovery").hidden = true;
});

$("tf-disable").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  try {
    await api("POST", "/two-factor/disable", { body: { otp_code: $("tf-off-code").value.trim() } });
    form.reset();
    toast("Two-factor is off.");
    await load();
  } catch (error) {
    showErrors(form, error, {});
  }
});

await load();
