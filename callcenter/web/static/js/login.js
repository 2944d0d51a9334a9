import { api, attempt } from "./api.js";

const form = document.getElementById("login");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { username: form.username.value, password: form.password.value };
  const result = await attempt(() => api("POST", "/api/auth/login", body));
  if (result) {
    const next = new URLSearchParams(window.location.search).get("next");
    window.location.assign(next && next.startsWith("/") ? next : "/agent");
  }
});
