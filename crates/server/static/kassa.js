// Conveniences on top of pages that work without script: nothing here is
// needed to read or change data.
document.documentElement.classList.add("js");
document.addEventListener("change", (e) => {
  const el = e.target;
  // Selects marked data-autosubmit send their form at once (book switcher, inline category).
  if (el.matches("select[data-autosubmit]") && el.form) el.form.requestSubmit();
  // A "select all" box ticks every row box of its table.
  if (el.matches("input[data-select-all]")) {
    const table = el.closest("table");
    if (table) table.querySelectorAll("input[type=checkbox][name]").forEach((b) => { b.checked = el.checked; });
  }
});
