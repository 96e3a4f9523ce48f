"use strict";
// Check the token against the API, keep it in localStorage, go to the map page.
const KEY = "stswatch.token";
document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const token = document.getElementById("token").value.trim();
  const out = document.getElementById("login-error");
  out.hidden = true;
  let res;
  try {
    res = await fetch("/api/me", { headers: { Authorization: `Bearer ${token}` } });
  } catch (err) {
    out.textContent = `The server did not answer (${err}).`;
    out.hidden = false;
    return;
  }
  if (res.ok) {
    localStorage.setItem(KEY, token);
    location.replace("/");
    return;
  }
  const body = await res.json().catch(() => ({}));
  out.textContent = body?.error?.message || `Refused (${res.status}).`;
  out.hidden = false;
});
