// "Translate with the assistant" on the translation screen (portal/translations/edit.html):
// one request with every original text by its field's name (action=translate, a "fields"
// JSON object), the answer shown as text while it streams, then "Put the translation in the
// fields" fills only the fields that came back. Nothing is saved here: the person checks the
// texts and presses "Save translation" (the form then carries the request's id).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.getElementById("assistant-translate");
  const form = panel && document.getElementById(panel.dataset.form);
  if (!form || !window.ContyzrAssistant) return;
  const ask = panel.querySelector(".assistant-translate-ask");
  const answer = panel.querySelector(".assistant-answer");
  const proposal = panel.querySelector(".assistant-proposal");
  const error = panel.querySelector(".assistant-error");
  const use = panel.querySelector(".assistant-use");
  const used = panel.querySelector(".assistant-used");
  let result = null;

  // {input name: original text} of every field whose original is not empty
  function originals() {
    const fields = {};
    form.querySelectorAll("[data-original]").forEach((input) => {
      if (input.dataset.original.trim()) fields[input.name] = input.dataset.original;
    });
    return fields;
  }

  ask.addEventListener("click", async () => {
    const body = new FormData();
    body.set("csrf_token", panel.dataset.csrf);
    body.set("action", "translate");
    body.set("target", panel.dataset.target);
    body.set("fields", JSON.stringify(originals()));
    result = null;
    error.hidden = true;
    use.hidden = true;
    used.hidden = true;
    proposal.value = "";
    answer.hidden = false;
    ask.disabled = true;
    await window.ContyzrAssistant.ask(panel.dataset.url, body, {
      offline: panel.dataset.offline,
      piece: (text) => { proposal.value += text; },
      done: (payload) => {
        proposal.value = payload.text;
        result = payload;
        use.hidden = !payload.fields || Object.keys(payload.fields).length === 0;
      },
      fail: (message, upgradeUrl) => {
        result = null;
        use.hidden = true;
        if (!proposal.value) answer.hidden = true;
        window.ContyzrAssistant.showError(error, message, upgradeUrl);
      },
    });
    ask.disabled = false;
  });

  use.addEventListener("click", () => {
    if (!result || !result.fields) return;
    for (const [name, text] of Object.entries(result.fields)) {
      const input = form.elements.namedItem(name);
      if (!input || !("value" in input)) continue;
      input.value = text;
      input.dispatchEvent(new Event("input", {bubbles: true}));
    }
    window.ContyzrAssistant.markAccepted(form, result.request);
    use.hidden = true;
    used.hidden = false;
  });
});
