// Small progressive enhancements; every page works without this file.
// The header search: "/" focuses the box; in it, arrow keys move through the suggestions, Enter opens the
// highlighted one (or searches), Escape closes them.
function searchOptions() {
  return Array.from(document.querySelectorAll("#search-suggestions [role=option]"));
}
function closeSuggestions(input) {
  const box = document.getElementById("search-suggestions");
  if (box && box.innerHTML.trim()) { box.innerHTML = ""; }
  if (input) { input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); }
}
function highlightOption(input, index) {
  const options = searchOptions();
  options.forEach((option, at) => {
    option.setAttribute("aria-selected", at === index ? "true" : "false");
    option.classList.toggle("active", at === index);
  });
  if (options[index]) {
    input.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  } else {
    input.removeAttribute("aria-activedescendant");
  }
}
document.addEventListener("keydown", (event) => {
  const input = document.getElementById("site-search-q");
  const typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
  if (event.key === "/" && input && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    input.focus();
    input.select();
    return;
  }
  if (event.key === "Escape") {
    closeSuggestions(input);
    return;
  }
  if (!input || event.target !== input) { return; }
  const options = searchOptions();
  const current = options.findIndex((option) => option.getAttribute("aria-selected") === "true");
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    if (!options.length) { return; }
    event.preventDefault();
    // Positions -1 (the box itself) to the last option, wrapping around.
    const next = event.key === "ArrowDown" ? current + 1 : current - 1;
    highlightOption(input, next >= options.length ? -1 : next < -1 ? options.length - 1 : next);
  } else if (event.key === "Enter" && current >= 0) {
    const link = options[current].querySelector("a");
    if (link) { event.preventDefault(); window.location.assign(link.href); }
  }
});
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.target.id !== "search-suggestions") { return; }
  const input = document.getElementById("site-search-q");
  if (input) { input.setAttribute("aria-expanded", searchOptions().length ? "true" : "false"); }
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
// Enter saves a cell (its form is submitted, through htmx when it is wired); Shift+Enter starts a new line.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) {
    return;
  }
  const box = event.target.closest && event.target.closest("textarea[data-enter-submits]");
  if (!box || !box.form) { return; }
  event.preventDefault();
  box.form.requestSubmit();
});
// The sticky site header's and the footer's heights, for the CSS that keeps a grid's column heads in view below
// the header (--header-h, 0 where the header scrolls away) and sizes the grid's scroller (--footer-h). The
// stylesheet has fallbacks per width; this follows the real sizes (a header wrapping onto more lines).
function measurePageChrome() {
  const header = document.querySelector(".site-header");
  const footer = document.querySelector(".site-footer");
  const root = document.documentElement.style;
  if (header) {
    const sticky = getComputedStyle(header).position === "sticky";
    root.setProperty("--header-h", (sticky ? header.offsetHeight : 0) + "px");
  }
  if (footer) { root.setProperty("--footer-h", footer.offsetHeight + "px"); }
}
if (window.ResizeObserver) {
  const chrome = new ResizeObserver(measurePageChrome);
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".site-header, .site-footer").forEach((element) => chrome.observe(element));
  });
}
// A table that scrolls sideways must be reachable from the keyboard (to scroll it with the arrow keys): the
// templates mark theirs (tabindex, role region and a name); this covers any they miss.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".table-scroll:not([tabindex])").forEach((box) => {
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "region");
    const caption = box.querySelector("caption");
    box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table (scrolls sideways)");
  });
});
