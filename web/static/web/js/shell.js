// Every page: who is signed in, sign-out, and the theme (a preference, not a secret).

import { api, currentUser, toast } from "./api.js";

const root = document.documentElement;
const saved = localStorage.getItem("theme");
if (saved) root.dataset.theme = saved;

document.getElementById("theme").addEventListener("click", () => {
  root.dataset.theme = root.dataset.theme === "dark" ? "light" : "dark";
  localStorage.setItem("theme", root.dataset.theme);
  window.dispatchEvent(new Event("themechange"));
});

currentUser().then((user) => {
  document.body.dataset.signedIn = user ? "yes" : "no";
  if (user) document.getElementById("whoami").textContent = user.email;
}).catch(() => toast("The exchange is not answering."));

document.getElementById("sign-out").addEventListener("click", async () => {
  await api("DELETE", "/auth/session");
  location.href = "/";
});
