// Live progress without a page reload; the page also refreshes itself without JavaScript.
(function () {
  var box = document.getElementById("onboarding");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (progress) {
        if (progress.ready || ["expired", "failed_payment", "failed"].indexOf(progress.state) >= 0) {
          window.location.reload();
          return;
        }
        document.getElementById("onboarding-message").textContent = progress.message;
        progress.stages.forEach(function (stage) {
          var item = document.querySelector('#onboarding-steps li[data-key="' + stage.key + '"]');
          if (item) { item.className = stage.status; }
        });
        window.setTimeout(poll, 800);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 800);
})();
