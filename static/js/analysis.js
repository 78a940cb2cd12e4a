// Analysis pages: the side panel of excerpts, forms that show their errors in place, "select all" boxes.
(function () {
  "use strict";

  const panel = () => document.getElementById("side-panel");
  let opener = null;

  function closePanel() {
    const aside = panel();
    if (!aside || aside.hidden) return;
    aside.hidden = true;
    if (opener) opener.focus();
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.target.getAttribute("hx-target") === "#side-panel-body") opener = event.target;
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.target.id !== "side-panel-body") return;
    const aside = panel();
    aside.hidden = false;
    const heading = document.getElementById("side-panel-heading");
    if (heading) heading.focus();
  });

  // A form marked data-swap-errors is answered with 400 and its errors: show them where the form was.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (event.detail.xhr.status === 400 && source && source.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-close-panel]")) closePanel();
    const toggle = event.target.closest("[data-select-all]");
    if (toggle) {
      const form = document.getElementById(toggle.dataset.selectAll);
      const boxes = form ? form.querySelectorAll("input[type=checkbox][name=hits]") : [];
      const check = Array.from(boxes).some((box) => !box.checked);
      boxes.forEach((box) => { box.checked = check; });
      toggle.textContent = check ? "Clear the selection" : "Select all hits shown";
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closePanel();
  });
})();
