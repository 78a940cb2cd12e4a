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
