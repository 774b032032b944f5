// The writing assistant in the browser: asks POST /portal/assistant/propose and reads its
// text/event-stream (the answer's pieces, then "done" or "error"). The proposal is shown as
// text, never as HTML, and nothing is saved here: "Use this" only puts it into the field, and
// the person saves the form as usual (with the request's id, so the revision is marked).
"use strict";
window.ContyzrAssistant = (() => {
  // One stream event ("event: name" and "data: json" lines) to its handler.
  function dispatch(block, handlers) {
    let name = "message", data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) name = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (!data) return;
    const payload = JSON.parse(data);
    if (name === "error") handlers.fail(payload.message);
    else if (name === "done") handlers.done(payload);
    else handlers.piece(payload.text);
  }

  // Ask the assistant: handlers.piece(text) for each piece, then handlers.done(payload) or
  // handlers.fail(message, upgradeUrl) once. A refusal before streaming (4xx/5xx) is JSON.
  async function ask(url, body, handlers) {
    let response;
    try {
      response = await fetch(url, {method: "POST", body, credentials: "same-origin"});
    } catch (err) {
      handlers.fail(handlers.offline || String(err));
      return;
    }
    if (!response.ok || !response.body) {
      const refusal = await response.json().catch(() => ({}));
      handlers.fail(refusal.error || response.statusText, refusal.upgrade_url);
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, {stream: true});
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, end), handlers);
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (err) {
      handlers.fail(handlers.offline || String(err));
    }
  }

  // An error line, with the way up when the plan does not include the assistant.
  function showError(element, message, upgradeUrl) {
    element.textContent = message;
    if (upgradeUrl) {
      const link = document.createElement("a");
      link.href = upgradeUrl;
      link.textContent = element.dataset.upgradeLabel || upgradeUrl;
      element.append(" ", link);
    }
    element.hidden = false;
  }

  // The form that will save an accepted proposal carries its request's id (once), so the saved
  // revision is marked as written with the assistant.
  function markAccepted(form, requestId) {
    const id = String(requestId);
    if ([...form.querySelectorAll("input[name=assistant_request]")].some((input) => input.value === id)) return;
    const mark = document.createElement("input");
    Object.assign(mark, {type: "hidden", name: "assistant_request", value: id});
    form.append(mark);
  }

  // The panel under a field of an editor (portal/_assistant.html).
  function panel(tools) {
    const field = document.getElementById(tools.dataset.field);
    if (!field) return;
    const answer = tools.querySelector(".assistant-answer");
    const proposal = tools.querySelector(".assistant-proposal");
    const error = tools.querySelector(".assistant-error");
    const use = tools.querySelector(".assistant-use");
    const buttons = tools.querySelectorAll("button[data-action]");
    let selection = null, requestId = null;

    function material(action) {
      if (action === "draft") return tools.querySelector(".assistant-brief").value;
      if (action === "meta") {
        const source = document.getElementById(tools.dataset.source || "");
        return source ? source.value : tools.dataset.sourceText || "";
      }
      const [start, end] = [field.selectionStart, field.selectionEnd];
      selection = start !== end ? [start, end] : null;
      return selection ? field.value.slice(start, end) : field.value;
    }

    async function run(button) {
      const action = button.dataset.action;
      const body = new FormData();
      body.set("csrf_token", tools.dataset.csrf);
      body.set("action", action);
      body.set("text", material(action));
      if (action === "rewrite") body.set("style", tools.querySelector(".assistant-style").value);
      if (action !== "rewrite") selection = null;
      answer.hidden = false;
      error.hidden = true;
      use.hidden = true;
      proposal.value = "";
      requestId = null;
      buttons.forEach((b) => { b.disabled = true; });
      await ask(tools.dataset.url, body, {
        offline: tools.dataset.offline,
        piece: (text) => { proposal.value += text; },
        done: (payload) => { proposal.value = payload.text; requestId = payload.request; use.hidden = false; },
        fail: (message, upgradeUrl) => showError(error, message, upgradeUrl),
      });
      buttons.forEach((b) => { b.disabled = false; });
    }

    buttons.forEach((button) => button.addEventListener("click", () => run(button)));
    use.addEventListener("click", () => {
      if (selection) field.setRangeText(proposal.value, selection[0], selection[1], "select");
      else field.value = proposal.value;
      if (field.form && requestId) markAccepted(field.form, requestId);
      field.dispatchEvent(new Event("input", {bubbles: true}));
      field.focus();
      answer.hidden = true;
    });
    tools.querySelector(".assistant-discard").addEventListener("click", () => { answer.hidden = true; });
  }

  // The assistant's own page (/portal/assistant): one form, one proposal to copy.
  function page(form) {
    const answer = document.getElementById("assistant-answer");
    const proposal = document.getElementById("assistant-proposal");
    const error = document.getElementById("assistant-error");
    const button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      answer.hidden = false;
      error.hidden = true;
      proposal.value = "";
      button.disabled = true;
      // (form.action would be the select named "action")
      await ask(form.getAttribute("action"), new FormData(form), {
        offline: form.dataset.offline,
        piece: (text) => { proposal.value += text; },
        done: (payload) => { proposal.value = payload.text; answer.dataset.request = payload.request; },
        fail: (message, upgradeUrl) => showError(error, message, upgradeUrl),
      });
      button.disabled = false;
    });
    document.getElementById("assistant-copy").addEventListener("click", () => {
      navigator.clipboard.writeText(proposal.value);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("assistant-form");
    if (form) page(form);
    document.querySelectorAll(".assistant-tools").forEach(panel);
  });
  return {ask, showError, markAccepted};
})();
