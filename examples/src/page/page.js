// The sign-in page's script: only the demo's own routes, same-origin requests (the browser
// sends the HttpOnly session cookie and an Origin the cross-site rule accepts).
"use strict";
const $ = (id) => document.getElementById(id);
const say = (text) => { $("status").textContent = text; };

async function call(method, path) {
  const response = await fetch(path, { method, credentials: "same-origin", headers: { Accept: "application/json" } });
  const text = await response.text();
  let body = text;
  try { body = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
  return { status: response.status, body };
}

async function showMe() {
  const me = await call("GET", "/api/me");
  const signedIn = me.status === 200;
  $("you").hidden = !signedIn;
  $("signin").hidden = signedIn;
  if (signedIn) {
    const claims = JSON.parse(me.body);
    $("sub").textContent = claims.sub;
    $("claims").textContent = me.body;
    await showSessions();
  } else {
    $("sessions-section").hidden = true;
  }
  return signedIn;
}

async function showSessions() {
  const answer = await call("GET", "/auth/sessions");
  const list = $("sessions");
  list.replaceChildren();
  $("sessions-section").hidden = answer.status !== 200;
  if (answer.status !== 200) return;
  for (const s of JSON.parse(answer.body).sessions) {
    const item = document.createElement("li");
    item.dataset.id = s.id;
    const label = document.createElement("span");
    const since = new Date(s.created_at * 1000).toLocaleString();
    label.textContent = `${s.provider} · since ${since}${s.user_agent ? " · " + s.user_agent.slice(0, 40) : ""}`;
    if (s.current) {
      const mark = document.createElement("span");
      mark.className = "current";
      mark.textContent = " (this browser)";
      label.append(mark);
    }
    const revoke = document.createElement("button");
    revoke.className = "danger revoke";
    revoke.textContent = "Revoke";
    revoke.addEventListener("click", async () => {
      const r = await call("DELETE", `/auth/sessions/${encodeURIComponent(s.id)}`);
      say(r.status === 204 ? "Session revoked." : `Revoke: ${r.status}`);
      await showSessions();
    });
    item.append(label, revoke);
    list.append(item);
  }
}

$("call-me").addEventListener("click", async () => {
  const r = await call("GET", "/api/me");
  $("answer").textContent = `${r.status}\n${r.body}`;
});
$("refresh").addEventListener("click", async () => {
  const r = await call("POST", "/auth/refresh");
  say(r.status === 200 ? "Session refreshed: a new access token, the refresh token rotated." : `Refresh: ${r.status}`);
  await showMe();
});
$("logout").addEventListener("click", async () => {
  const r = await call("POST", "/auth/logout");
  say(r.status === 204 ? "Signed out." : `Sign out: ${r.status}`);
  await showMe();
});
$("logout-all").addEventListener("click", async () => {
  const r = await call("POST", "/auth/logout-all");
  say(r.status === 204 ? "Signed out everywhere." : `Sign out everywhere: ${r.status}`);
  await showMe();
});
showMe().then(() => { document.body.dataset.ready = "true"; });
