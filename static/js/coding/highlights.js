// Highlights and coding stripes over a transcript rendered as turns (<p class="turn" data-start data-end>).
//
// Each turn is rebuilt from its own text and the excerpts that touch it, split at every excerpt boundary
// into segments: one pass per turn, never one DOM walk per excerpt. A turn is rebuilt only when what it
// shows changes, so applying a code touches one or two paragraphs however long the transcript is.

import { CodePointText, cpLength, tint } from "./text.js";

const MAX_BANDS = 4;

// Letters, digits, combining marks and the apostrophes inside words ("partners’", "don't").
const WORD_CHARACTER = /[\p{L}\p{N}\p{M}'’]/u;

export class Highlighter {
  constructor(container, stripes) {
    this.container = container;
    this.stripes = stripes;
    this.turns = Array.from(container.querySelectorAll(".turn"), (el) => {
      const text = el.textContent;
      const label = el.querySelector(".speaker");
      return {
        el,
        start: Number(el.dataset.start),
        end: Number(el.dataset.end),
        cp: new CodePointText(text),
        labelEnd: label ? cpLength(label.textContent) : 0,
        signature: "",
        spans: [],
        isInterviewer: el.classList.contains("interviewer"),
      };
    });
    this.styles = new Map();
  }

  /** The index of the turn holding code point `cp`, or of the last turn starting before it (-1 if none). */
  turnIndexAt(cp) {
    let lo = 0;
    let hi = this.turns.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.turns[mid].start <= cp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Draw `items` ({id, start, end, colour, selected, flash}), sorted by start. Returns how many turns changed.
   */
  render(items) {
    // Rebuilding a turn would drop a selection inside it (say, the coder's next sentence while the previous
    // one is still being saved), so it is put back afterwards.
    const kept = this.selectionRange({ trimmed: false });
    const perTurn = new Array(this.turns.length);
    for (const item of items) {
      let index = Math.max(0, this.turnIndexAt(item.start));
      for (; index < this.turns.length; index++) {
        const turn = this.turns[index];
        if (turn.start >= item.end) break;
        if (turn.end <= item.start) continue;
        const s = Math.max(item.start, turn.start) - turn.start;
        const e = Math.min(item.end, turn.end) - turn.start;
        (perTurn[index] ||= []).push({ ...item, s, e });
      }
    }
    let changed = 0;
    this.turns.forEach((turn, index) => {
      const list = perTurn[index] || [];
      const signature = list.map((it) => `${it.id}:${it.s}:${it.e}:${it.colour}:${it.label || ""}:${it.selected ? 1 : 0}${it.flash ? 1 : 0}${it.pending ? 1 : 0}`).join("|");
      if (signature === turn.signature) return;
      turn.signature = signature;
      this.renderTurn(turn, list);
      changed++;
    });
    if (kept && changed) this.select(kept.start, kept.end, { scroll: false });
    return changed;
  }

  renderTurn(turn, list) {
    const length = turn.cp.length;
    const bounds = new Set([0, length]);
    if (turn.labelEnd) bounds.add(turn.labelEnd);
    for (const it of list) {
      bounds.add(it.s);
      bounds.add(it.e);
    }
    const points = Array.from(bounds).sort((a, b) => a - b);
    const fragment = document.createDocumentFragment();
    turn.spans = [];
    for (let i = 0; i < points.length - 1; i++) {
      const s = points[i];
      const e = points[i + 1];
      const text = turn.cp.slice(s, e);
      const inLabel = e <= turn.labelEnd;
      // Innermost (shortest) excerpt first: its colour fills the background, the others add bands.
      const active = list.filter((it) => it.s <= s && it.e >= e).sort((a, b) => a.end - a.start - (b.end - b.start) || a.id - b.id);
      if (!active.length) {
        if (inLabel) {
          const label = document.createElement("span");
          label.className = "speaker";
          label.textContent = text;
          fragment.append(label);
        } else fragment.append(text);
        continue;
      }
      const span = document.createElement("span");
      span.className = "hl";
      if (inLabel) span.classList.add("speaker");
      if (active.length > 1) span.classList.add("hl-overlap");
      if (active.some((it) => it.selected)) span.classList.add("hl-selected");
      if (active.some((it) => it.flash)) span.classList.add("hl-flash");
      if (active.some((it) => it.pending)) span.classList.add("hl-pending");
      span.dataset.ids = active.map((it) => it.id).join(" ");
      // The codes by name, not by colour alone: on hover for every piece, and (drawn by CSS, outside the text,
      // so that offsets and selections never include it) before the first piece of each excerpt.
      const names = active.map((it) => it.label).filter(Boolean);
      if (names.length) span.title = [...new Set(names)].join("; ");
      const starting = active.filter((it) => it.s === s && it.start >= turn.start && it.label);
      if (starting.length) span.dataset.label = [...new Set(starting.map((it) => it.label))].join(" · ");
      span.textContent = text;
      span.style.cssText = this.styleFor(active);
      fragment.append(span);
      turn.spans.push({ span, ids: active.map((it) => it.id) });
    }
    turn.el.replaceChildren(fragment);
  }

  /** Background from the innermost excerpt, and a band underneath for each excerpt (so overlaps show). */
  styleFor(active) {
    const key = active.map((it) => it.colour).join(" ");
    let style = this.styles.get(key);
    if (!style) {
      const bands = active
        .slice(0, MAX_BANDS)
        .map((it, k) => `inset 0 -${(k + 1) * 3}px 0 ${tint(it.colour, 0.95)}`)
        .join(", ");
      style = `background-color: ${tint(active[0].colour, active.length > 1 ? 0.34 : 0.22)}; box-shadow: ${bands};`;
      this.styles.set(key, style);
    }
    return style;
  }

  /** The highlight elements of an excerpt, in document order. */
  spansOf(id) {
    const found = [];
    for (const turn of this.turns) for (const { span, ids } of turn.spans) if (ids.includes(id)) found.push(span);
    return found;
  }

  /**
   * Coding stripes: one lane per code (in codebook order), a bar from the first to the last line of each excerpt.
   * `lanes` is [{id, colour, name}], `laneOf(excerptId)` gives the code ids of an excerpt shown in the margin.
   */
  drawStripes(lanes, codeIdsOf) {
    if (!this.stripes) return;
    const laneIndex = new Map(lanes.map((lane, index) => [lane.id, index]));
    const first = new Map();
    const last = new Map();
    for (const turn of this.turns) {
      for (const { span, ids } of turn.spans) {
        for (const id of ids) {
          if (!first.has(id)) first.set(id, span);
          last.set(id, span);
        }
      }
    }
    // Read every position before writing anything, so the layout is computed once.
    const origin = this.stripes.getBoundingClientRect().top;
    const bars = [];
    for (const [id, span] of first) {
      const top = span.getBoundingClientRect().top - origin;
      const bottom = last.get(id).getBoundingClientRect().bottom - origin;
      for (const codeId of codeIdsOf(id)) {
        if (laneIndex.has(codeId)) bars.push({ id, codeId, top, height: Math.max(4, bottom - top) });
      }
    }
    const width = lanes.length ? Math.max(4, Math.min(8, Math.floor(132 / lanes.length) - 3)) : 0;
    const fragment = document.createDocumentFragment();
    for (const bar of bars) {
      const lane = lanes[laneIndex.get(bar.codeId)];
      const el = document.createElement("div");
      el.className = "stripe";
      el.dataset.id = bar.id;
      el.title = lane.name;
      el.style.top = `${bar.top}px`;
      el.style.height = `${bar.height}px`;
      el.style.left = `${laneIndex.get(bar.codeId) * (width + 3)}px`;
      el.style.width = `${width}px`;
      el.style.backgroundColor = lane.colour;
      fragment.append(el);
    }
    this.stripes.style.width = `${lanes.length * (width + 3)}px`;
    this.stripes.replaceChildren(fragment);
  }

  /** Code point offset of a DOM point (node, offset), or null when it lies outside every turn. */
  pointToCp(node, offset) {
    const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    const turnEl = element && element.closest(".turn");
    if (turnEl && this.container.contains(turnEl)) {
      const turn = this.turns.find((t) => t.el === turnEl);
      const range = document.createRange();
      range.setStart(turnEl, 0);
      range.setEnd(node, offset);
      return turn.start + cpLength(range.toString());
    }
    return null;
  }

  /** Where a point outside the turns falls: the start of the next turn (or the end of the previous one). */
  snapPoint(node, offset, { forEnd }) {
    const range = document.createRange();
    let lo = 0;
    let hi = this.turns.length - 1;
    let after = this.turns.length;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      range.selectNodeContents(this.turns[mid].el);
      const where = range.comparePoint(node, offset);
      if (where < 0) {
        after = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    if (forEnd) return after > 0 ? this.turns[after - 1].end : null;
    return after < this.turns.length ? this.turns[after].start : null;
  }

  /** The code-point range [start, end) of the current DOM selection within the transcript, or null. */
  selectionRange({ trimmed = true } = {}) {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!this.container.contains(range.commonAncestorContainer) && !range.commonAncestorContainer.contains(this.container)) return null;
    let start = this.pointToCp(range.startContainer, range.startOffset);
    let end = this.pointToCp(range.endContainer, range.endOffset);
    if (start === null) start = this.snapPoint(range.startContainer, range.startOffset, { forEnd: false });
    if (end === null) end = this.snapPoint(range.endContainer, range.endOffset, { forEnd: true });
    if (start === null || end === null || end <= start) return null;
    return trimmed ? this.trim(start, end) : { start, end };
  }

  /** The character at a code-point offset; a line break between turns and beyond either end. */
  charAt(cp) {
    const turn = cp < 0 ? null : this.turns[this.turnIndexAt(cp)];
    if (!turn || cp < turn.start || cp >= turn.end) return "\n";
    return turn.cp.at(cp - turn.start);
  }

  /** Narrow [start, end) so that it neither starts nor ends with white space (or the gap between turns). */
  trim(start, end) {
    while (start < end && /\s/u.test(this.charAt(start))) start++;
    while (end > start && /\s/u.test(this.charAt(end - 1))) end--;
    return end > start ? { start, end } : null;
  }

  /** Widen [start, end) to whole words where it starts or ends inside one, as a mouse drag usually does ("ppy to
   *  talk" becomes "happy to talk"); never across the edge of a turn. */
  snapToWords(start, end) {
    const inWord = (cp) => WORD_CHARACTER.test(this.charAt(cp));
    while (inWord(start - 1) && inWord(start)) start--;
    while (inWord(end - 1) && inWord(end)) end++;
    return { start, end };
  }

  /** The DOM point of a code-point offset, for setting the selection. */
  cpToPoint(cp, { forEnd = false } = {}) {
    let index = this.turnIndexAt(cp);
    if (index < 0) index = 0;
    const turn = this.turns[index];
    const local = Math.min(Math.max(cp - turn.start, 0), turn.cp.length);
    let units = turn.cp.toUnits(local);
    const walker = document.createTreeWalker(turn.el, NodeFilter.SHOW_TEXT);
    let node = walker.nextNode();
    let lastNode = node;
    while (node) {
      const size = node.data.length;
      if (units < size || (units === size && forEnd)) return { node, offset: units };
      units -= size;
      lastNode = node;
      node = walker.nextNode();
    }
    return lastNode ? { node: lastNode, offset: lastNode.data.length } : { node: turn.el, offset: 0 };
  }

  select(start, end, { scroll = true } = {}) {
    const a = this.cpToPoint(start);
    const b = this.cpToPoint(end, { forEnd: true });
    const selection = window.getSelection();
    selection.setBaseAndExtent(a.node, a.offset, b.node, b.offset);
    if (!scroll) return;
    const element = b.node.nodeType === Node.ELEMENT_NODE ? b.node : b.node.parentElement;
    element.scrollIntoView({ block: "nearest" });
  }
}
