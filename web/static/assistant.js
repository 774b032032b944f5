// The writing assistant's page: sends the form, shows the proposal as it streams in (as text,
// never as HTML), and a clear message when the assistant cannot answer. Nothing is saved here.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("assistant-form");
  if (!form) return;
  const answer = document.getElementById("assistant-answer");
  const proposal = document.getElementById("assistant-proposal");
  const error = document.getElementById("assistant-error");
  const button = form.querySelector("button[type=submit]");

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
  }

  function handle(block) {
    let name = "message", data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (!data) return;
    const payload = JSON.parse(data);
    if (name === "error") fail(payload.message);
    else if (name === "done") { proposal.value = payload.text; answer.dataset.request = payload.request; }
    else proposal.value += payload.text;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    answer.hidden = false;
    error.hidden = true;
    proposal.value = "";
    button.disabled = true;
    try {
      // (form.action would be the select named "action")
      const response = await fetch(form.getAttribute("action"), {method: "POST", body: new FormData(form)});
      if (!response.ok || !response.body) {
        const body = await response.json().catch(() => ({}));
        fail(body.error || response.statusText);
        return;
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, {stream: true});
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          handle(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (err) {
      fail(form.dataset.offline || String(err));
    } finally {
      button.disabled = false;
    }
  });

  document.getElementById("assistant-copy").addEventListener("click", () => {
    navigator.clipboard.writeText(proposal.value);
  });
});
