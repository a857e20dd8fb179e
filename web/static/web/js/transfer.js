// The spot ↔ futures transfer form, on the futures page and the wallet page (issue 21):
// one POST /sapi/v1/asset/transfer, as Binance's clients send it; the API's refusal shows
// under the amount.

import { clearErrors, fapi, showErrors, toast } from "./api.js";

/** Wire ``form`` (a ``type`` select, an ``amount`` input, a submit button): ``asset()``
 * names what moves, ``done()`` reloads the balances the page shows. */
export function transferForm(form, asset, done) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const params = { type: form.elements.type.value, asset: asset(), amount: form.elements.amount.value.trim() };
      const moved = await fapi("POST", "/sapi/v1/asset/transfer", params);
      toast(`Transfer ${moved.tranId} done`);
      form.elements.amount.value = "";
      await done();
    } catch (error) {
      showErrors(form, error, { "-5013": "amount", "-2019": "amount" });
    } finally {
      button.disabled = false;
    }
  });
}
