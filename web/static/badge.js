// The badge page (web/templates/workspaces/badge.html): copy a snippet with its button, and
// show another variant as soon as one is chosen. The strict CSP allows no inline script; the
// page works without this file (the buttons stay hidden, the "Show" button submits).
(function () {
  "use strict";

  function copy(button) {
    var area = document.getElementById(button.getAttribute("data-copy"));
    if (!area) {
      return;
    }
    area.select();
    var done = function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied");
      window.setTimeout(function () {
        button.textContent = label;
      }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(area.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        copy(button);
      });
    });
    var variant = document.getElementById("badge-variant");
    if (variant) {
      variant.querySelectorAll("select").forEach(function (select) {
        select.addEventListener("change", function () {
          variant.submit();
        });
      });
    }
  });
})();
