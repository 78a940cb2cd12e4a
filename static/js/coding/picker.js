// The code picker: type-ahead over the codebook with each code's path, recently used codes first,
// "create a code" and "in-vivo code" options. Works by keyboard alone (a combobox with a listbox).

const MAX_SHOWN = 120;
const IN_VIVO_MAX = 80;

export function inVivoName(text) {
  // A slash in the words quoted would read as "Parent / name": "and/or" becomes "and-or".
  let name = text.replace(/\s+/gu, " ").replace(/\s*[/›]\s*/gu, "-").trim();
  name = name.replace(/^[\s"'“‘«(\[…-]+/u, "").replace(/[\s"'”’»)\].,;:!?…-]+$/u, "");
  if (name.length > IN_VIVO_MAX) {
    const cut = name.lastIndexOf(" ", IN_VIVO_MAX);
    name = name.slice(0, cut > 20 ? cut : IN_VIVO_MAX).replace(/[\s,;:–-]+$/u, "");
  }
  return name;
}

function appendMarked(parent, text, terms) {
  // Marks the first match of each term, building text nodes only (never HTML from user text).
  const lower = text.toLowerCase();
  const marks = [];
  for (const term of terms) {
    const at = lower.indexOf(term);
    if (at >= 0) marks.push([at, at + term.length]);
  }
  marks.sort((a, b) => a[0] - b[0]);
  let position = 0;
  for (const [start, end] of marks) {
    if (start < position) continue;
    parent.append(text.slice(position, start));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(start, end);
    parent.append(mark);
    position = end;
  }
  parent.append(text.slice(position));
}

export class CodePicker {
  constructor(root, { codes, recent, onApply, onCreate, onClose }) {
    this.root = root;
    this.codes = codes;
    this.recent = recent;
    this.onApply = onApply;
    this.onCreate = onCreate;
    this.onClose = onClose;
    this.title = root.querySelector(".picker-title");
    this.input = root.querySelector(".picker-input");
    this.list = root.querySelector(".picker-options");
    this.options = [];
    this.active = 0;
    this.input.addEventListener("input", () => this.render());
    this.input.addEventListener("keydown", (event) => this.keydown(event));
    this.list.addEventListener("mousedown", (event) => event.preventDefault());
    this.list.addEventListener("click", (event) => {
      const li = event.target.closest("[role=option]");
      if (li) this.choose(Number(li.dataset.index));
    });
    this.list.addEventListener("mousemove", (event) => {
      const li = event.target.closest("[role=option]");
      if (li && Number(li.dataset.index) !== this.active) this.setActive(Number(li.dataset.index));
    });
    document.addEventListener("mousedown", (event) => {
      if (this.isOpen() && !this.root.contains(event.target)) this.close();
    });
    root.addEventListener("focusout", (event) => {
      if (this.isOpen() && event.relatedTarget && !root.contains(event.relatedTarget)) this.close({ restoreFocus: false });
    });
  }

  isOpen() {
    return !this.root.hidden;
  }

  open({ anchor, title, inVivoText = "", excludeIds = [] }) {
    this.inVivoText = inVivoText;
    this.exclude = new Set(excludeIds);
    this.title.textContent = title;
    this.input.value = "";
    this.root.hidden = false;
    const width = Math.min(30 * 16, window.innerWidth - 24);
    const left = Math.max(8, Math.min(anchor.left + window.scrollX, window.scrollX + window.innerWidth - width - 12));
    this.root.style.left = `${left}px`;
    this.root.style.top = `${anchor.bottom + window.scrollY + 6}px`;
    this.root.style.width = `${width}px`;
    this.input.setAttribute("aria-expanded", "true");
    this.render();
    this.input.focus({ preventScroll: true });
    const box = this.root.getBoundingClientRect();
    if (box.bottom > window.innerHeight) window.scrollBy({ top: box.bottom - window.innerHeight + 12 });
  }

  close({ restoreFocus = true, chosen = false } = {}) {
    if (!this.isOpen()) return;
    this.root.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.onClose && this.onClose({ restoreFocus, chosen });
  }

  usable(code) {
    return !code.is_archived && code.is_codable && !this.exclude.has(code.id);
  }

  parseNewCode(query) {
    // "Barriers / Time pressure" (or "Barriers › Time pressure") creates under an existing code, found by
    // its path or name, case-insensitively, in full or by its beginning ("Barriers" finds "Barriers and
    // downsides" when no other code starts so). A slash never ends up in a code's name: with no parent
    // found, or several, there is nothing to create and the picker says why.
    const separator = Math.max(query.lastIndexOf("/"), query.lastIndexOf("›"));
    if (separator < 0) return { name: query, parent: null };
    const parentText = query
      .slice(0, separator)
      .replace(/\s*[/›]\s*/gu, " › ")
      .trim()
      .toLowerCase();
    const name = query.slice(separator + 1).trim();
    if (!parentText) return { name, parent: null, problem: "Type the parent’s name before the “/”." };
    const codes = this.codes().filter((c) => !c.is_archived);
    const lowered = (c) => ({ path: c.path.toLowerCase(), name: c.name.toLowerCase() });
    const tiers = [
      (c) => lowered(c).path === parentText,
      (c) => lowered(c).name === parentText,
      (c) => lowered(c).path.startsWith(parentText),
      (c) => lowered(c).name.startsWith(parentText),
    ];
    for (const test of tiers) {
      const found = codes.filter(test);
      if (found.length === 1) return name ? { name, parent: found[0] } : { name, parent: found[0], problem: "Type the new code’s name after the “/”." };
      if (found.length > 1) {
        const paths = found.slice(0, 3).map((c) => `“${c.path}”`).join(", ");
        return { name, parent: null, problem: `Several codes match “${query.slice(0, separator).trim()}” (${paths}): type more of the parent’s name.` };
      }
    }
    return { name, parent: null, problem: `No code matches “${query.slice(0, separator).trim()}” to put a sub-code under.` };
  }

  render() {
    const query = this.input.value.trim();
    const terms = query.toLowerCase().split(/\s+/u).filter(Boolean);
    const codes = this.codes();
    const byId = new Map(codes.map((c) => [c.id, c]));
    const recentIds = this.recent().filter((id) => byId.has(id) && this.usable(byId.get(id)));
    const recentRank = new Map(recentIds.map((id, index) => [id, index]));
    const sections = [];
    if (!terms.length) {
      if (recentIds.length) sections.push(["Recently used", recentIds.slice(0, 6).map((id) => byId.get(id))]);
      sections.push(["All codes", codes.filter((c) => this.usable(c))]);
    } else {
      const matches = codes.filter((c) => this.usable(c) && terms.every((t) => c.path.toLowerCase().includes(t)));
      // Better matches first (the name starts with the query, then a word of it does, then it contains it,
      // then only the path does); recently used codes first among equals; then codebook order.
      const lowered = query.toLowerCase();
      const rank = (c) => {
        const name = c.name.toLowerCase();
        const words = name.split(/[\s/(),–-]+/u);
        if (name.startsWith(lowered)) return 0;
        if (terms.every((t) => words.some((w) => w.startsWith(t)))) return 1;
        if (terms.every((t) => name.includes(t))) return 2;
        return 3;
      };
      const ranked = matches.map((c, order) => ({ c, order, match: rank(c), recent: recentRank.get(c.id) ?? 1e6 }));
      ranked.sort((a, b) => a.match - b.match || a.recent - b.recent || a.order - b.order);
      sections.push([matches.length ? "Matching codes" : "No code matches", ranked.map((r) => r.c)]);
    }
    this.options = [];
    const fragment = document.createDocumentFragment();
    const addHeading = (text) => {
      const li = document.createElement("li");
      li.className = "picker-heading";
      li.setAttribute("role", "presentation");
      li.textContent = text;
      fragment.append(li);
    };
    const addOption = (option, build) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = `picker-option-${this.options.length}`;
      li.dataset.index = String(this.options.length);
      li.className = `picker-option picker-${option.kind}`;
      build(li);
      this.options.push(option);
      fragment.append(li);
    };
    let shown = 0;
    for (const [heading, list] of sections) {
      addHeading(heading);
      for (const code of list) {
        if (shown++ >= MAX_SHOWN) break;
        addOption({ kind: "code", code }, (li) => {
          const swatch = document.createElement("span");
          swatch.className = "swatch-dot";
          swatch.style.backgroundColor = code.colour;
          const name = document.createElement("span");
          name.className = "picker-name";
          appendMarked(name, code.name, terms);
          li.append(swatch, name);
          if (code.depth > 0) {
            const path = document.createElement("span");
            path.className = "picker-path";
            path.textContent = code.path.slice(0, code.path.length - code.name.length - 3);
            li.append(path);
          }
          if (code.definition) li.title = code.definition;
        });
      }
    }
    const hidden = sections.reduce((n, [, list]) => n + list.length, 0) - MAX_SHOWN;
    if (hidden > 0) addHeading(`…and ${hidden} more: keep typing to narrow down`);
    if (query) {
      const { name, parent, problem } = this.parseNewCode(query);
      const siblings = codes.filter((c) => (c.parent_id || null) === (parent ? parent.id : null));
      if (problem) {
        addHeading("New code");
        const li = document.createElement("li");
        li.className = "picker-problem";
        li.setAttribute("role", "presentation");
        li.textContent = problem;
        fragment.append(li);
      } else if (!siblings.some((c) => c.name.toLowerCase() === name.toLowerCase())) {
        addHeading("New code");
        addOption({ kind: "create", name, parent }, (li) => {
          if (!parent) {
            li.textContent = `Create code “${name}”`;
            return;
          }
          // The preview: which code is made, and where.
          const made = document.createElement("em");
          made.textContent = name;
          const under = document.createElement("em");
          under.textContent = parent.path;
          li.append("Create ", made, " under ", under);
        });
      }
    }
    const inVivo = inVivoName(this.inVivoText || "");
    if (inVivo) {
      if (!query) addHeading("New code");
      addOption({ kind: "invivo", name: inVivo }, (li) => {
        li.textContent = `In-vivo code “${inVivo}”`;
      });
    }
    this.list.replaceChildren(fragment);
    this.setActive(this.options.length ? 0 : -1);
  }

  setActive(index) {
    const previous = this.list.querySelector("[aria-selected=true]");
    if (previous) previous.setAttribute("aria-selected", "false");
    this.active = index;
    if (index < 0) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    const li = this.list.querySelector(`#picker-option-${index}`);
    li.setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  }

  keydown(event) {
    const count = this.options.length;
    if (event.key === "ArrowDown" && count) {
      event.preventDefault();
      this.setActive((this.active + 1) % count);
    } else if (event.key === "ArrowUp" && count) {
      event.preventDefault();
      this.setActive((this.active - 1 + count) % count);
    } else if (event.key === "PageDown" && count) {
      event.preventDefault();
      this.setActive(Math.min(count - 1, this.active + 10));
    } else if (event.key === "PageUp" && count) {
      event.preventDefault();
      this.setActive(Math.max(0, this.active - 10));
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (this.active >= 0) this.choose(this.active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.close();
    }
  }

  choose(index) {
    const option = this.options[index];
    if (!option) return;
    this.close({ chosen: true });
    if (option.kind === "code") this.onApply(option.code);
    else if (option.kind === "create") this.onCreate({ name: option.name, parent: option.parent, inVivo: false });
    else this.onCreate({ name: option.name, parent: null, inVivo: true });
  }
}
