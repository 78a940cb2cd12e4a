// The codebook page: narrow the table to the codes whose path, definition or tags contain what is typed.

const input = document.querySelector("[data-filter-rows]");
if (input) {
  const table = document.querySelector(input.dataset.filterRows);
  const rows = Array.from(table.tBodies[0].rows);
  const empty = document.getElementById("codebook-filter-empty");
  input.addEventListener("input", () => {
    const terms = input.value.toLowerCase().split(/\s+/u).filter(Boolean);
    let shown = 0;
    for (const row of rows) {
      const match = terms.every((term) => row.dataset.search.includes(term));
      row.hidden = !match;
      if (match) shown++;
    }
    empty.hidden = shown > 0;
  });
}

// A definition longer than its three lines: the rest on demand, with a button after it.
for (const clamp of document.querySelectorAll("td.definition .clamp")) {
  if (clamp.scrollHeight <= clamp.clientHeight + 1) continue;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link-button small definition-toggle";
  button.textContent = "Show all";
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", () => {
    const expanded = clamp.classList.toggle("expanded");
    button.setAttribute("aria-expanded", String(expanded));
    button.textContent = expanded ? "Show less" : "Show all";
  });
  clamp.after(button);
}
