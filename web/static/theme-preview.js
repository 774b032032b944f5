// The portal's theme page: the preview panel follows the form as it changes. The colours, fonts
// and logo go into CSS custom properties on the preview element (the CSP allows no inline
// style attributes, but setting properties from a same-origin script is fine). Each colour's
// picker and text field are kept in step. The contrast rules mirror tenants/theme.py; the
// server checks them again on saving. Without JavaScript the preview shows the saved look.
(function () {
  var form = document.getElementById("theme-form");
  var preview = document.getElementById("theme-preview");
  if (!form || !preview) { return; }
  var MIN = parseFloat(preview.getAttribute("data-min-contrast")) || 4.5;
  var LIGHT = "#ffffff", DARK = "#16181d";
  var PATTERN = /^#[0-9a-fA-F]{6}$/;
  var KEYS = ["primary_color", "accent_color", "background_color"];
  var last = {};

  function luminance(color) {
    var sum = [0.2126, 0.7152, 0.0722].map(function (weight, index) {
      var value = parseInt(color.substr(1 + 2 * index, 2), 16) / 255;
      value = value <= 0.04045 ? value / 12.92 : Math.pow((value + 0.055) / 1.055, 2.4);
      return weight * value;
    });
    return sum[0] + sum[1] + sum[2];
  }

  function contrast(first, second) {
    var a = luminance(first), b = luminance(second);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }

  function readableOn(color) {
    return contrast(color, DARK) >= contrast(color, LIGHT) ? DARK : LIGHT;
  }

  function ratioLabel(ratio) {
    return (Math.floor(ratio * 10) / 10).toFixed(1) + ":1";
  }

  function colour(key) {
    var typed = document.getElementById(key).value.trim();
    if (PATTERN.test(typed)) { last[key] = typed.toLowerCase(); }
    return last[key];
  }

  function set(name, value) { preview.style.setProperty("--" + name, value); }

  function showContrast(key, color) {
    var item = document.querySelector('#contrast-checks li[data-key="' + key + '"]');
    if (!item) { return; }
    var ratio = contrast(color, readableOn(color));
    item.className = ratio >= MIN ? "ok" : "bad";
    item.querySelector("strong").textContent = ratioLabel(ratio);
    var words = item.parentNode.dataset;  // the words in the portal's language (theme/index.html)
    item.querySelector("span").textContent = ratio >= MIN ? words.readable : words.tooLow;
  }

  function update() {
    var colors = {};
    KEYS.forEach(function (key) {
      colors[key] = colour(key);
      if (colors[key]) { showContrast(key, colors[key]); }
    });
    if (colors.primary_color) {
      set("primary", colors.primary_color);
      set("on-primary", readableOn(colors.primary_color));
    }
    if (colors.accent_color) {
      set("accent", colors.accent_color);
      set("on-accent", readableOn(colors.accent_color));
    }
    if (colors.background_color) {
      var ink = readableOn(colors.background_color);
      set("bg", colors.background_color);
      set("ink", ink);
      if (colors.primary_color) {
        var reads = contrast(colors.primary_color, colors.background_color) >= MIN;
        set("link", reads ? colors.primary_color : ink);
      }
    }
    var font = form.querySelector('input[name="font"]:checked');
    if (font) {
      set("font-heading", font.getAttribute("data-heading"));
      set("font-body", font.getAttribute("data-body"));
      set("font", font.getAttribute("data-body"));
    }
    var logoSelect = document.getElementById("logo_media_id");
    var logo = document.getElementById("preview-logo");
    if (logoSelect && logo) {
      var option = logoSelect.options[logoSelect.selectedIndex];
      var src = option ? option.getAttribute("data-src") : null;
      if (src) { logo.setAttribute("src", src); }
      logo.hidden = !src;
      document.getElementById("preview-company").className = src ? "visually-hidden" : "";
    }
    document.getElementById("preview-tagline").textContent = document.getElementById("tagline").value;
  }

  KEYS.forEach(function (key) {
    var text = document.getElementById(key);
    var picker = document.getElementById(key + "_picker");
    if (!text || !picker) { return; }
    picker.addEventListener("input", function () { text.value = picker.value; update(); });
    text.addEventListener("input", function () {
      var typed = text.value.trim();
      if (PATTERN.test(typed)) { picker.value = typed.toLowerCase(); }
      update();
    });
  });
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
