// The coding page's "Redact…" link carries the current selection's code-point offsets to the redaction page.
const link = document.getElementById("redact-link");
const transcript = document.getElementById("transcript");

if (link && transcript) {
  const base = link.getAttribute("href");
  transcript.addEventListener("coding:selection", (event) => {
    const range = event.detail;
    if (range && range.end > range.start) {
      link.setAttribute("href", `${base}?start=${range.start}&end=${range.end}`);
      link.textContent = "Redact the selection…";
    }
  });
}
