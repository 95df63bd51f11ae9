// trade dashboard: refresh the live part, and send the operator's actions with the token.
// No framework, nothing fetched from elsewhere: the page works offline.
(function () {
  "use strict";
  const body = document.body;
  const every = Number(body.dataset.refreshMs || 2000);
  const live = document.getElementById("live");
  const result = document.getElementById("action-result");
  const token = document.getElementById("token");
  let busy = false;

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const answer = await fetch("/fragment", {cache: "no-store"});
      if (answer.ok) {
        const html = await answer.text();
        if (html !== live.dataset.last) {
          live.innerHTML = html;
          live.dataset.last = html;
        }
        body.dataset.refreshed = String(Date.now());
        body.classList.remove("offline");
      }
    } catch (e) {
      body.classList.add("offline");
    } finally {
      busy = false;
    }
  }

  function say(text, ok) {
    if (!result) return;
    result.textContent = text;
    result.className = ok ? "ok" : "refused";
  }

  async function act(action) {
    const headers = {"Content-Type": "application/json"};
    const secret = token ? token.value.trim() : "";
    if (secret) headers.Authorization = "Bearer " + secret;
    const payload = {};
    if (action === "flatten") {
      if (!window.confirm("Flatten: cancel every open order and close every position now, then halt?")) {
        say("flatten not sent (not confirmed)", false);
        return;
      }
      payload.confirm = "flatten";
    }
    if (action === "halt") payload.reason = "manual halt from the dashboard";
    try {
      const answer = await fetch("/api/" + action, {method: "POST", headers: headers, body: JSON.stringify(payload)});
      const data = await answer.json().catch(() => ({}));
      say((answer.ok ? "" : "refused (" + answer.status + "): ") + (data.message || answer.statusText), answer.ok);
    } catch (e) {
      say("the dashboard did not answer", false);
    }
    refresh();
  }

  document.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () { act(b.dataset.action); });
  });
  if (token) {
    token.value = sessionStorage.getItem("trade-token") || "";
    token.addEventListener("change", function () { sessionStorage.setItem("trade-token", token.value.trim()); });
  }
  window.setInterval(refresh, every);
})();
