// The main navigation: marks the current page's link and folds the links behind a Menu button on
// narrow screens.
const nav = document.querySelector(".site-header nav");
const toggle = nav && nav.querySelector(".nav-toggle");
if (toggle) {
  toggle.addEventListener("click", () => {
    const open = !nav.classList.contains("nav-open");
    nav.classList.toggle("nav-open", open);
    toggle.setAttribute("aria-expanded", String(open));
  });
}
// The link whose address is the longest beginning of this page's address is the current section.
const here = window.location.pathname;
let best = null;
for (const link of document.querySelectorAll(".nav-links a[href]")) {
  const path = new URL(link.href, window.location.href).pathname;
  if ((here === path || here.startsWith(path.endsWith("/") ? path : `${path}/`)) && (!best || path.length > best.path.length)) best = { link, path };
}
if (best) best.link.setAttribute("aria-current", "page");

// A wide table scrolls inside its own box (first column fixed, see site.css), never the whole page.
for (const table of document.querySelectorAll("main table.data")) {
  if (table.closest(".table-scroll")) continue;
  const box = document.createElement("div");
  box.className = "table-scroll";
  table.replaceWith(box);
  box.append(table);
}
