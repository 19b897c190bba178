// Small progressive enhancements; every page works without this file.
document.addEventListener("keydown", (event) => {
  // Escape closes the search suggestions.
  if (event.key === "Escape") {
    const box = document.getElementById("search-suggestions");
    if (box && box.innerHTML.trim()) { box.innerHTML = ""; }
  }
});
document.addEventListener("click", (event) => {
  const box = document.getElementById("search-suggestions");
  if (box && !event.target.closest(".site-search")) { box.innerHTML = ""; }
});

// Instead of inline handlers (the Content-Security-Policy forbids inline script and eval):
// an element with data-swap-statuses="409 422" shows those error answers (a form with its messages, a conflict)
// in place of a successful one.
document.addEventListener("htmx:beforeSwap", (event) => {
  const holder = event.target.closest && event.target.closest("[data-swap-statuses]");
  if (!holder) { return; }
  const statuses = holder.dataset.swapStatuses.split(/\s+/);
  if (statuses.includes(String(event.detail.xhr.status))) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// Any other error answer is reported in the element named by data-error-box (e.g. ".cell-error").
document.addEventListener("htmx:responseError", (event) => {
  const holder = event.target.closest && event.target.closest("[data-error-box]");
  const box = holder && holder.querySelector(holder.dataset.errorBox);
  if (box) {
    box.textContent = "Not saved (error " + event.detail.xhr.status + "). Reload the page and try again.";
  }
});
// Escape in an inline cell editor brings the cell back (its hx-trigger is "cell-cancel").
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !window.htmx) { return; }
  const cell = event.target.closest && event.target.closest("td.cell-editing[hx-trigger='cell-cancel']");
  if (cell) { window.htmx.trigger(cell, "cell-cancel"); }
});
