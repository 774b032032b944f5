// Live progress from the small JSON status endpoint, without reloading the page. Polling stops
// once nothing more will change (the site is live, or the checkout expired); the page then shows
// the way on: "Enter your portal" (focused) for the browser that sent the signup form while the
// page may still sign in, the normal sign-in otherwise. Without JavaScript a <noscript> refresh
// does the same job.
//
// When the site becomes live while this page watches, the browser that may enter is forwarded
// into the portal by pressing "Enter your portal" for the person, but only once the page is
// on screen: the hand-off signs in once, and a tab left in the background must not spend it
// unseen. A page opened after the site was ready (data-final) forwards nobody.
(function () {
  var box = document.getElementById("onboarding");
  if (!box || box.getAttribute("data-final") === "yes") { return; }
  var url = box.getAttribute("data-status-url");
  var FAST = 1000, SLOW = 10000;  // a failed payment or setup changes only after a person acts

  function show(id, visible) {
    var element = document.getElementById(id);
    if (element) { element.hidden = !visible; }
    return element;
  }

  function render(progress) {
    document.getElementById("onboarding-message").textContent = progress.message;
    progress.stages.forEach(function (stage) {
      var item = document.querySelector('#onboarding-steps li[data-key="' + stage.key + '"]');
      if (item) { item.className = stage.status; }
    });
    var enter = progress.may_enter && document.getElementById("onboarding-enter");
    show("onboarding-enter", !!enter);
    show("onboarding-signin", progress.ready && !enter);
    document.getElementById("onboarding-signin-note").textContent = progress.signin_note || "";
    show("onboarding-expired", progress.state === "expired");
    show("onboarding-retry", progress.state === "failed_payment");
    if (enter) { enter.querySelector("button").focus(); }
    return enter;
  }

  function forward(enter) {
    var form = enter.querySelector("form");
    function go() {
      if (document.visibilityState !== "visible") { return; }
      document.removeEventListener("visibilitychange", go);
      form.requestSubmit();
    }
    document.addEventListener("visibilitychange", go);
    go();
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (progress) {
        var enter = render(progress);
        if (enter) { forward(enter); }
        if (progress.final) { return; }
        var slow = ["failed", "failed_payment", "processing"].indexOf(progress.state) >= 0;
        window.setTimeout(poll, slow ? SLOW : FAST);
      })
      .catch(function () { window.setTimeout(poll, SLOW); });
  }
  window.setTimeout(poll, FAST);
})();
