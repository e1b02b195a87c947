// renkei console: a few enhancements. Every page works without this file; it only adds
// copy buttons, confirmations, list filters and live progress (which otherwise reloads).
"use strict";
(function () {
  // <button data-copy="#id"> copies the text (or value) of the element it names.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source) return;
      var text = source.value !== undefined ? source.value : source.textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        var done = button.getAttribute("data-copied");
        // innerHTML: a label may hold a visually hidden part (what is copied), kept as it was.
        if (done) { var label = button.innerHTML; button.textContent = done; setTimeout(function () { button.innerHTML = label; }, 2000); }
      });
    });
  });

  // <form data-confirm="question"> asks before it is sent.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // <input data-filter="#list"> hides the list's [data-filter-text] items that do not match.
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    input.hidden = false;
    var label = document.querySelector("label[for='" + input.id + "']");
    if (label) label.hidden = false;
    var list = document.querySelector(input.getAttribute("data-filter"));
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      list.querySelectorAll("[data-filter-text]").forEach(function (item) {
        item.hidden = needle !== "" && item.getAttribute("data-filter-text").toLowerCase().indexOf(needle) < 0;
      });
    });
  });

  // <button data-check-all="#list" data-checked="true|false"> ticks or clears the visible boxes.
  document.querySelectorAll("[data-check-all]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var on = button.getAttribute("data-checked") === "true";
      document.querySelectorAll(button.getAttribute("data-check-all") + " [data-filter-text]:not([hidden]) input[type=checkbox]")
        .forEach(function (box) { box.checked = on; });
    });
  });

  // <div data-poll="/url" data-done="false"> is replaced by the fragment at the URL every
  // 1.5 s until the fragment says data-done="true". Without script, the page reloads itself
  // (<noscript> meta refresh) instead.
  document.querySelectorAll("[data-poll]").forEach(function (box) {
    function tick() {
      if (box.getAttribute("data-done") === "true") return;
      fetch(box.getAttribute("data-poll"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          if (fresh) { box.replaceWith(fresh); box = fresh; }
          setTimeout(tick, 1500);
        })
        .catch(function () { setTimeout(tick, 4000); });
    }
    setTimeout(tick, 1500);
  });

  // <body data-saved="section" data-frame-origins="https://a https://b">: a self-service page
  // shown inside the product's frame tells the product that something was saved, and only
  // an allowed origin can read it (the page's frame-ancestors policy admits only those).
  var saved = document.body.getAttribute("data-saved");
  var origins = (document.body.getAttribute("data-frame-origins") || "").split(" ").filter(Boolean);
  if (saved && origins.length && window.parent !== window) {
    var ancestors = window.location.ancestorOrigins;
    var targets = ancestors && ancestors.length
      ? origins.filter(function (o) { return o === ancestors[0]; })
      : origins;
    targets.forEach(function (origin) {
      window.parent.postMessage({ type: "renkei:saved", section: saved }, origin);
    });
  }

  // Focus the error summary so that screen readers and keyboards start there.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
