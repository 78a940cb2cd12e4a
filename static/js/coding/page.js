// The coding page: select a passage, apply codes, review and change excerpts, undo. All data goes
// through the JSON API (offsets in code points); the transcript itself is rendered by the server.

import { ApiError, request, requestIfChanged, sendOnLeaving } from "./api.js";
import { Highlighter } from "./highlights.js";
import { ACTIONS, actionFor, checkKeys, loadKeys, resetKeys, saveKeys } from "./keys.js";
import { CodePicker } from "./picker.js";
import { sentenceBounds, wordStops } from "./text.js";

const config = JSON.parse(document.getElementById("coding-config").textContent);
const transcript = document.getElementById("transcript");
const highlighter = new Highlighter(transcript, document.getElementById("stripes"));
const panel = document.getElementById("excerpt-panel");
const statusLine = document.getElementById("coding-status");
const undoButton = document.getElementById("undo-button");
const undoLabel = document.getElementById("undo-label");
const codeFilter = document.getElementById("code-filter");
const coderFilter = document.getElementById("coder-filter");
const keyQuoteFilter = document.getElementById("key-quote-filter");
const summary = document.getElementById("excerpt-summary");
const shortcuts = document.getElementById("shortcuts");
const stripesNote = document.getElementById("stripes-note");
const PENDING = -1;
const MAX_LANES = 12;
const IN_VIVO_PARENT = "In-vivo codes";
const dateFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });

const state = {
  codes: [],
  codeById: new Map(),
  codeRank: new Map(),
  excerpts: new Map(),
  hiddenCodes: new Set(),
  hideUncoded: false,
  coder: "",
  keyQuotesOnly: false,
  selectedId: null,
  here: [],
  flashId: null,
  pending: null,
  pickerTarget: null,
  recent: [...config.recentCodeIds],
  undo: [],
  aliases: new Map(),
  cursor: null,
  // A write refused because someone else changed the excerpt first (412): what changed, and how to reapply.
  conflict: null,
  // Excerpts this page deleted (ids are never reused).
  removed: new Set(),
};

// ---------------------------------------------------------------- helpers

function el(tag, { text, cls, attrs } = {}, ...children) {
  const element = document.createElement(tag);
  if (cls) element.className = cls;
  if (text !== undefined) element.textContent = text;
  if (attrs) for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

function swatch(colour) {
  const dot = el("span", { cls: "swatch-dot", attrs: { "aria-hidden": "true" } });
  dot.style.backgroundColor = colour;
  return dot;
}

function setStatus(message, { error = false } = {}) {
  // An error is announced at once (role=alert); progress politely (role=status).
  statusLine.setAttribute("role", error ? "alert" : "status");
  statusLine.setAttribute("aria-live", error ? "assertive" : "polite");
  statusLine.textContent = message;
  statusLine.classList.toggle("status-error", error);
}

function excerptUrl(id) {
  return `${config.excerptUrl}${id}`;
}

function resolve(id) {
  while (state.aliases.has(id)) id = state.aliases.get(id);
  return id;
}

function quoted(text, max = 48) {
  const flat = text.replace(/\s+/gu, " ").trim();
  return `“${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat}”`;
}

function codeName(id) {
  const code = state.codeById.get(id);
  return code ? code.name : "a deleted code";
}

/** The transcript text of [start, end), from the turns the page holds (gaps between turns are blank lines). */
function textBetween(start, end) {
  const parts = [];
  let index = Math.max(0, highlighter.turnIndexAt(start));
  for (; index < highlighter.turns.length; index++) {
    const turn = highlighter.turns[index];
    if (turn.start >= end) break;
    if (turn.end <= start) continue;
    parts.push(turn.cp.slice(Math.max(start, turn.start) - turn.start, Math.min(end, turn.end) - turn.start));
  }
  return parts.join("\n\n");
}

// ---------------------------------------------------------------- data

function setCodes(codes) {
  state.codes = codes;
  state.codeById = new Map(codes.map((code) => [code.id, code]));
  state.codeRank = new Map(codes.map((code, index) => [code.id, index]));
}

async function loadCodes() {
  const data = await request("GET", config.codesUrl);
  setCodes(data.codes);
}

function storeExcerpt(excerpt) {
  state.excerpts.set(excerpt.id, excerpt);
  return excerpt;
}

/** An excerpt this page deleted: an answer to a poll sent before the deletion must not bring it back. */
function forget(id) {
  state.excerpts.delete(id);
  state.removed.add(id);
}

function isVisible(excerpt) {
  if (state.coder && String(excerpt.coded_by.id) !== state.coder) return false;
  if (state.keyQuotesOnly && !excerpt.is_key_quote) return false;
  if (!excerpt.code_ids.length) return !state.hideUncoded;
  return excerpt.code_ids.some((id) => !state.hiddenCodes.has(id));
}

function shownCodeIds(excerpt) {
  return excerpt.code_ids.filter((id) => !state.hiddenCodes.has(id) && state.codeById.has(id));
}

function excerptColour(excerpt) {
  const [first] = shownCodeIds(excerpt);
  return first ? state.codeById.get(first).colour : "#6b7684";
}

/** The names of the codes an excerpt shows, shortened: what its highlight says besides its colour. */
function excerptLabel(excerpt) {
  const ids = shownCodeIds(excerpt).sort((a, b) => (state.codeRank.get(a) ?? 1e9) - (state.codeRank.get(b) ?? 1e9));
  const names = ids.map(codeName);
  const label = names.join(", ") || "No code";
  return label.length > 40 ? `${label.slice(0, 39)}…` : label;
}

function visibleExcerpts() {
  return Array.from(state.excerpts.values())
    .filter(isVisible)
    .sort((a, b) => a.start - b.start || a.end - b.end || a.id - b.id);
}

// ---------------------------------------------------------------- drawing

let stripesFrame = 0;

function scheduleStripes() {
  cancelAnimationFrame(stripesFrame);
  stripesFrame = requestAnimationFrame(() => {
    const began = performance.now();
    const used = new Map();
    for (const excerpt of state.excerpts.values()) {
      if (isVisible(excerpt)) for (const id of shownCodeIds(excerpt)) used.set(id, (used.get(id) || 0) + 1);
    }
    // One lane per code, as in the desktop tools; with many codes, the most used ones (filter to choose others).
    const busiest = new Set(
      Array.from(used.keys())
        .sort((a, b) => used.get(b) - used.get(a) || (state.codeRank.get(a) ?? 0) - (state.codeRank.get(b) ?? 0))
        .slice(0, MAX_LANES),
    );
    const lanes = state.codes.filter((code) => busiest.has(code.id)).map((code) => ({ id: code.id, colour: code.colour, name: code.path }));
    stripesNote.hidden = used.size <= MAX_LANES;
    stripesNote.textContent = `Margin stripes show the ${MAX_LANES} most used of the ${used.size} codes shown; untick codes to see others.`;
    highlighter.drawStripes(lanes, (id) => {
      const excerpt = state.excerpts.get(id);
      return excerpt ? shownCodeIds(excerpt) : [];
    });
    drawHandles();
    performance.measure("coding:stripes", { start: began });
  });
}

function refresh() {
  const began = performance.now();
  const items = visibleExcerpts().map((excerpt) => ({
    id: excerpt.id,
    start: excerpt.start,
    end: excerpt.end,
    colour: excerptColour(excerpt),
    label: excerptLabel(excerpt),
    selected: excerpt.id === state.selectedId,
    flash: excerpt.id === state.flashId,
  }));
  if (state.pending) {
    items.push({ id: PENDING, start: state.pending.start, end: state.pending.end, colour: "#5a6b7d", pending: true });
    items.sort((a, b) => a.start - b.start);
  }
  highlighter.render(items);
  performance.measure("coding:highlights", { start: began });
  scheduleStripes();
  const shown = items.filter((item) => item.id !== PENDING).length;
  const total = state.excerpts.size;
  summary.textContent = shown === total ? `${total} excerpt${total === 1 ? "" : "s"}` : `${shown} of ${total} excerpts shown`;
}

function renderFilters() {
  const counts = new Map();
  let uncoded = 0;
  const coders = new Map([[String(config.user.id), config.user.name]]);
  for (const excerpt of state.excerpts.values()) {
    coders.set(String(excerpt.coded_by.id), excerpt.coded_by.name);
    if (!excerpt.code_ids.length) uncoded++;
    for (const id of excerpt.code_ids) counts.set(id, (counts.get(id) || 0) + 1);
  }
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.codeId : undefined;
  const fragment = document.createDocumentFragment();
  const row = (id, label, title, colour, count, checked) => {
    const input = el("input", { attrs: { type: "checkbox" } });
    input.checked = checked;
    input.dataset.codeId = id;
    const name = el("span", { cls: "filter-name", text: label });
    if (title) name.title = title;
    fragment.append(el("li", {}, el("label", {}, input, colour ? swatch(colour) : "", name, el("span", { cls: "count", text: String(count) }))));
  };
  for (const code of state.codes) {
    if (counts.has(code.id)) row(String(code.id), code.name, code.path, code.colour, counts.get(code.id), !state.hiddenCodes.has(code.id));
  }
  if (uncoded) row("none", "No code", "", "", uncoded, !state.hideUncoded);
  codeFilter.replaceChildren(fragment);
  if (!codeFilter.children.length) codeFilter.append(el("li", { cls: "muted", text: "No excerpts yet." }));
  if (focused) {
    const again = codeFilter.querySelector(`input[data-code-id="${focused}"]`);
    if (again) again.focus();
  }
  const chosen = coderFilter.value;
  coderFilter.replaceChildren(el("option", { text: "All coders", attrs: { value: "" } }));
  for (const [id, name] of coders) {
    coderFilter.append(el("option", { text: id === String(config.user.id) ? `${name} (you)` : name, attrs: { value: id } }));
  }
  coderFilter.value = coders.has(chosen) ? chosen : "";
}

function renderPanel() {
  const excerpt = state.excerpts.get(state.selectedId);
  if (!excerpt) {
    panel.hidden = true;
    panel.replaceChildren();
    delete panel.dataset.excerptId;
    return;
  }
  const fragment = document.createDocumentFragment();
  fragment.append(
    el(
      "div",
      { cls: "panel-head" },
      el("h2", { text: excerpt.is_key_quote ? "Excerpt · key quote" : "Excerpt" }),
      el("button", { cls: "button-secondary small", text: "Close", attrs: { type: "button", "data-action": "close-panel", "aria-keyshortcuts": "Escape" } }),
    ),
  );
  if (state.conflict && state.conflict.id === excerpt.id) fragment.append(conflictBox(state.conflict));
  const here = state.here.filter((id) => state.excerpts.has(id));
  if (here.length > 1 && here.includes(excerpt.id)) {
    const choices = el("div", { cls: "here", attrs: { role: "group", "aria-label": "Excerpts overlapping here" } }, el("span", { cls: "muted", text: `${here.length} excerpts here: ` }));
    here.forEach((id, index) => {
      const other = state.excerpts.get(id);
      const label = other.code_ids.length ? codeName(other.code_ids[0]) : "No code";
      const coder = other.coded_by.id === config.user.id ? "you" : other.coded_by.name.split(" ")[0];
      const button = el("button", {
        cls: "button-secondary small",
        text: `${index + 1}. ${label} (${coder})`,
        attrs: { type: "button", "data-action": "show", "data-id": String(id) },
      });
      if (id === excerpt.id) button.setAttribute("aria-pressed", "true");
      choices.append(button);
    });
    fragment.append(choices);
  }
  const text = excerpt.text.length > 600 ? `${excerpt.text.slice(0, 599)}…` : excerpt.text;
  fragment.append(el("blockquote", { cls: "panel-text", text }));
  const created = excerpt.created_at ? dateFormat.format(new Date(excerpt.created_at)) : "";
  fragment.append(el("p", { cls: "muted small", text: `Coded by ${excerpt.coded_by.name}${created ? ` on ${created}` : ""} · characters ${excerpt.start}–${excerpt.end}` }));
  const codes = el("ul", { cls: "panel-codes", attrs: { "aria-label": "Codes" } });
  const ordered = [...excerpt.code_ids].sort((a, b) => (state.codeRank.get(a) ?? 1e9) - (state.codeRank.get(b) ?? 1e9));
  for (const id of ordered) {
    const code = state.codeById.get(id);
    const link = el("a", { text: code ? code.name : "Deleted code", attrs: { href: code ? code.url : "#" } });
    if (code) link.title = code.path;
    const item = el("li", {}, swatch(code ? code.colour : "#999999"), link);
    if (excerpt.can_edit) {
      item.append(el("button", { cls: "link-button remove", text: "Remove", attrs: { type: "button", "data-action": "remove-code", "data-code-id": String(id), "aria-label": `Remove “${code ? code.name : id}”` } }));
    }
    codes.append(item);
  }
  if (!ordered.length) codes.append(el("li", { cls: "muted", text: "No codes." }));
  fragment.append(codes);
  if (excerpt.needs_review) {
    const review = el("p", { cls: "notice" }, el("strong", { text: "Needs review: " }), "a correction of the transcript changed this excerpt’s text. ");
    if (config.reviewUrl) review.append(el("a", { text: "Review the changed excerpts", attrs: { href: config.reviewUrl } }));
    fragment.append(review);
  }
  if (excerpt.can_edit) {
    fragment.append(el("p", {}, el("button", { text: "Add a code…", attrs: { type: "button", "data-action": "add-code", "aria-keyshortcuts": keyLabel(keys.addCode) } })));
    const keyQuote = el("input", { attrs: { type: "checkbox", id: "excerpt-key-quote", "data-action": "key-quote" } });
    keyQuote.checked = excerpt.is_key_quote;
    fragment.append(el("p", {}, keyQuote, " ", el("label", { text: "Key quote", attrs: { for: "excerpt-key-quote" } })));
    const memo = el("textarea", { attrs: { id: "excerpt-memo", rows: "4" } });
    memo.defaultValue = excerpt.memo;
    fragment.append(
      el("div", { cls: "field" }, el("label", { text: "Memo", attrs: { for: "excerpt-memo" } }), memo),
      el("p", {}, el("button", { text: "Save memo", attrs: { type: "button", "data-action": "save-memo" } })),
    );
    const step = (action, text, label) => el("button", { cls: "button-secondary small", text, attrs: { type: "button", "data-action": action, "aria-label": label } });
    fragment.append(
      el(
        "fieldset",
        { cls: "boundaries" },
        el("legend", { text: "Boundaries" }),
        el("p", {}, el("span", { text: "Start " }), step("start-earlier", "◀ word", "Start one word earlier"), step("start-later", "word ▶", "Start one word later")),
        el("p", {}, el("span", { text: "End " }), step("end-earlier", "◀ word", "End one word earlier"), step("end-later", "word ▶", "End one word later")),
        el("p", {}, el("button", { cls: "button-secondary small", text: "Use the selected text", attrs: { type: "button", "data-action": "use-selection" } })),
      ),
    );
    fragment.append(el("p", {}, el("button", { cls: "button-danger", text: "Delete excerpt", attrs: { type: "button", "data-action": "delete" } })));
  } else {
    if (excerpt.memo) fragment.append(el("div", { cls: "memo" }, el("span", { cls: "memo-label", text: "Memo " }), excerpt.memo));
    fragment.append(el("p", { cls: "muted small", text: "Only its coder and the project's leads can change this excerpt." }));
  }
  // Redrawing must not lose what the coder is typing or where the focus is.
  const active = panel.contains(document.activeElement) ? document.activeElement : null;
  const sameExcerpt = panel.dataset.excerptId === String(excerpt.id);
  const draft = sameExcerpt ? panel.querySelector("#excerpt-memo") : null;
  const focusKey = active && sameExcerpt ? active.id || active.dataset.action : null;
  const caret = active && active.id === "excerpt-memo" ? [active.selectionStart, active.selectionEnd] : null;
  panel.replaceChildren(fragment);
  panel.dataset.excerptId = String(excerpt.id);
  panel.hidden = false;
  const memo = panel.querySelector("#excerpt-memo");
  if (memo && draft && draft.value !== draft.defaultValue) memo.value = draft.value;
  if (focusKey) {
    const again = panel.querySelector(`#${CSS.escape(focusKey)}`) || panel.querySelector(`[data-action="${focusKey}"]`);
    if (again) {
      again.focus({ preventScroll: true });
      if (caret && again === memo) memo.setSelectionRange(caret[0], caret[1]);
    }
  }
}

function selectExcerpt(id, { scroll = false, flash = false, here = null } = {}) {
  state.selectedId = id;
  if (here) state.here = here;
  if (flash) {
    state.flashId = id;
    setTimeout(() => {
      if (state.flashId === id) {
        state.flashId = null;
        refresh();
      }
    }, 1800);
  }
  refresh();
  renderPanel();
  if (scroll) {
    const [first] = highlighter.spansOf(id);
    if (first) first.scrollIntoView({ block: "center" });
  }
}

// ---------------------------------------------------------------- undo

function pushUndo(label, run) {
  state.undo.push({ label, run });
  if (state.undo.length > 100) state.undo.shift();
  renderUndo();
}

function renderUndo() {
  const last = state.undo[state.undo.length - 1];
  undoButton.disabled = !last;
  undoLabel.textContent = last ? last.label : "nothing to undo";
}

async function undo() {
  const entry = state.undo.pop();
  renderUndo();
  if (!entry) {
    setStatus("Nothing to undo.");
    return;
  }
  try {
    await entry.run();
  } catch (error) {
    // Kept on the stack, so that the coder can try again once the cause is fixed.
    state.undo.push(entry);
    renderUndo();
    throw new Error(`Could not undo “${entry.label}”: ${error.message}`);
  }
  setStatus(`Undone: ${entry.label}.`);
}

// ---------------------------------------------------------------- writes

function snapshot(excerpt, keys) {
  const before = {};
  for (const key of keys) before[key] = Array.isArray(excerpt[key]) ? [...excerpt[key]] : excerpt[key];
  return before;
}

async function createExcerpt(range, codeIds, label) {
  const excerpt = storeExcerpt(await request("POST", config.excerptsUrl, { start: range.start, end: range.end, code_ids: codeIds }));
  const id = excerpt.id;
  pushUndo(label, async () => {
    const current = resolve(id);
    await request("DELETE", excerptUrl(current));
    forget(current);
    if (state.selectedId === current) state.selectedId = null;
  });
  return excerpt;
}

/** Change an excerpt as it is when the change runs (`changes` may be a function of it). */
async function updateExcerpt(excerpt, changes, label) {
  const current = state.excerpts.get(resolve(excerpt.id));
  if (!current) throw new Error("That excerpt no longer exists.");
  excerpt = current;
  // Reapplying after a conflict recomputes a change that depends on the excerpt (remove a code) on its new state.
  const requested = changes;
  if (typeof changes === "function") changes = changes(current);
  const before = snapshot(excerpt, Object.keys(changes));
  const updated = storeExcerpt(await guarded(excerpt, { changes: requested, label }, () => request("PATCH", excerptUrl(excerpt.id), changes, { version: excerpt.version })));
  const id = excerpt.id;
  pushUndo(label, async () => {
    const now = state.excerpts.get(resolve(id));
    storeExcerpt(await guarded(now, { changes: before, label: `Undo ${label}` }, () => request("PATCH", excerptUrl(now.id), before, { version: now.version })));
  });
  return updated;
}

const FIELDS = [
  ["memo", ["memo"]],
  ["codes", ["code_ids"]],
  ["boundaries", ["start", "end"]],
  ["key-quote mark", ["is_key_quote"]],
];

function describe(excerpt, key) {
  if (key === "memo") return excerpt.memo ? quoted(excerpt.memo, 80) : "empty";
  if (key === "code_ids") return excerpt.code_ids.length ? excerpt.code_ids.map(codeName).join(", ") : "none";
  if (key === "start") return `characters ${excerpt.start}–${excerpt.end}`;
  return excerpt.is_key_quote ? "a key quote" : "not a key quote";
}

/** Run a write; if the excerpt changed under it (412), keep the current state and remember what was meant. */
async function guarded(excerpt, attempt, write) {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 412 || !error.data || !error.data.current) throw error;
    const current = storeExcerpt(error.data.current);
    const lines = FIELDS.filter(([, keys]) => keys.some((key) => JSON.stringify(excerpt[key]) !== JSON.stringify(current[key]))).map(
      ([name, keys]) => `${name}: now ${describe(current, keys[0])}`,
    );
    state.conflict = { id: current.id, attempt, lines };
    state.selectedId = current.id;
    throw new Error(`${current.coded_by.id === config.user.id ? "This excerpt" : `${current.coded_by.name}’s excerpt`} was changed elsewhere; nothing was saved. See the panel to apply your change again.`);
  }
}

function conflictBox(conflict) {
  const box = el("div", { cls: "conflict", attrs: { role: "alert" } });
  box.append(el("p", { text: "Someone else changed this excerpt while you were working. Your change (“" + conflict.attempt.label + "”) was not saved." }));
  const list = el("ul");
  for (const line of conflict.lines.length ? conflict.lines : ["nothing you can see (only its version)"]) list.append(el("li", { text: line }));
  box.append(el("p", { text: "What changed:" }), list);
  box.append(
    el(
      "p",
      {},
      el("button", { cls: "small", text: conflict.attempt.remove ? "Delete it anyway" : "Apply my change again", attrs: { type: "button", "data-action": "reapply" } }),
      " ",
      el("button", { cls: "button-secondary small", text: "Keep theirs", attrs: { type: "button", "data-action": "dismiss-conflict" } }),
    ),
  );
  return box;
}

function reapply() {
  const conflict = state.conflict;
  state.conflict = null;
  if (!conflict) return;
  const excerpt = state.excerpts.get(conflict.id);
  if (!excerpt) return;
  if (conflict.attempt.remove) {
    perform(() => deleteExcerpt(excerpt, { confirmed: true }));
  } else {
    perform(() => updateExcerpt(excerpt, conflict.attempt.changes, conflict.attempt.label).then(() => setStatus(`Applied again: ${conflict.attempt.label}.`)));
  }
}

async function deleteExcerpt(excerpt, { confirmed = false } = {}) {
  excerpt = state.excerpts.get(resolve(excerpt.id));
  if (!excerpt) return;
  const mine = excerpt.coded_by.id === config.user.id;
  if (!mine && !confirmed && !window.confirm(`Delete ${excerpt.coded_by.name}’s excerpt? This cannot be undone.`)) return;
  await guarded(excerpt, { remove: true, label: "Delete excerpt" }, () => request("DELETE", excerptUrl(excerpt.id), undefined, { version: excerpt.version }));
  forget(excerpt.id);
  state.selectedId = null;
  if (mine) {
    const body = snapshot(excerpt, ["start", "end", "code_ids", "memo", "is_key_quote"]);
    pushUndo(`Delete ${quoted(excerpt.text, 30)}`, async () => {
      const again = storeExcerpt(await request("POST", config.excerptsUrl, body));
      state.aliases.set(excerpt.id, again.id);
    });
  }
  setStatus("Excerpt deleted.");
}

let queue = Promise.resolve();

/** Run writes one after another, in the order the coder made them, however fast they come. */
function perform(action) {
  const run = queue.then(async () => {
    try {
      await action();
    } catch (error) {
      setStatus(error.message, { error: true });
    } finally {
      renderFilters();
      refresh();
      renderPanel();
    }
  });
  queue = run;
  return run;
}

function rememberCode(code) {
  state.recent = [code.id, ...state.recent.filter((id) => id !== code.id)].slice(0, 12);
}

function applyCode(code) {
  const target = state.pickerTarget;
  state.pending = null;
  // The keyboard carries on from the end of what is being coded, even before the server has answered.
  if (target.mode === "new") state.cursor = target.range.end;
  perform(async () => {
    rememberCode(code);
    const label = `Apply “${code.name}”`;
    if (target.mode === "add") {
      await updateExcerpt({ id: target.id }, (current) => ({ code_ids: [...current.code_ids.filter((id) => id !== code.id), code.id] }), label);
      setStatus(`Applied “${code.name}”.`);
      return;
    }
    const { start, end } = target.range;
    const same = Array.from(state.excerpts.values()).find((e) => e.start === start && e.end === end && e.coded_by.id === config.user.id);
    let excerpt;
    if (same && same.code_ids.includes(code.id)) {
      setStatus(`This passage already carries “${code.name}”.`);
      excerpt = same;
    } else if (same) {
      excerpt = await updateExcerpt(same, { code_ids: [...same.code_ids, code.id] }, label);
      setStatus(`Applied “${code.name}”.`);
    } else {
      excerpt = await createExcerpt({ start, end }, [code.id], label);
      setStatus(`Applied “${code.name}” to ${quoted(excerpt.text, 40)}.`);
    }
    state.selectedId = excerpt.id;
    state.here = [excerpt.id];
    const selection = window.getSelection();
    if (!transcript.contains(selection.anchorNode)) selection.removeAllRanges();
  });
}

async function createCode({ name, parent, inVivo }) {
  const target = state.pickerTarget;
  state.pending = null;
  let code;
  await perform(async () => {
    let parentId = parent ? parent.id : null;
    if (inVivo) {
      let heading = state.codes.find((c) => c.parent_id === null && c.name.toLowerCase() === IN_VIVO_PARENT.toLowerCase());
      if (!heading) {
        heading = await request("POST", config.codesUrl, {
          name: IN_VIVO_PARENT,
          is_codable: false,
          definition: "Codes named in the participants’ own words, made while coding.",
        });
      }
      parentId = heading.id;
    }
    code = await request("POST", config.codesUrl, { name, parent_id: parentId });
    await loadCodes();
    setStatus(`Added the code “${code.name}”.`);
  });
  if (code) {
    state.pickerTarget = target;
    applyCode(state.codeById.get(code.id) || code);
  }
}

// ---------------------------------------------------------------- the picker

const picker = new CodePicker(document.getElementById("picker"), {
  codes: () => state.codes,
  recent: () => state.recent,
  onApply: applyCode,
  onCreate: createCode,
  onClose: ({ restoreFocus, chosen }) => {
    const target = state.pickerTarget;
    if (!chosen) {
      state.pending = null;
      refresh();
    }
    if (!restoreFocus) return;
    if (target && target.mode === "add") {
      const button = panel.querySelector("[data-action=add-code]");
      if (button) button.focus();
    } else {
      transcript.focus({ preventScroll: true });
      if (!chosen && target) highlighter.select(target.range.start, target.range.end);
    }
  },
});

function openPickerForRange(range) {
  const selection = window.getSelection();
  let anchor = null;
  if (selection.rangeCount) {
    const rects = selection.getRangeAt(0).getClientRects();
    if (rects.length) anchor = rects[rects.length - 1];
  }
  if (!anchor) {
    const [first] = highlighter.turns.filter((t) => t.end > range.start);
    anchor = (first ? first.el : transcript).getBoundingClientRect();
  }
  const text = textBetween(range.start, range.end);
  state.pickerTarget = { mode: "new", range };
  state.pending = range;
  refresh();
  picker.open({ anchor, title: `Code ${quoted(text)}`, inVivoText: text });
}

function openPickerForExcerpt(excerpt, anchorElement) {
  state.pickerTarget = { mode: "add", id: excerpt.id };
  picker.open({ anchor: anchorElement.getBoundingClientRect(), title: `Add a code to ${quoted(excerpt.text)}`, inVivoText: excerpt.text, excludeIds: excerpt.code_ids });
}

// ---------------------------------------------------------------- keyboard selection

function sentencesOf(turn) {
  // A header line ("Date: …") is no one's speech: the keyboard passes over it.
  if (turn.el.classList.contains("note")) turn.sentences = [];
  if (!turn.sentences) turn.sentences = sentenceBounds(turn.cp, turn.labelEnd).map(([s, e]) => [turn.start + s, turn.start + e]);
  return turn.sentences;
}

function wordsOf(turn) {
  if (!turn.words) {
    const { starts, ends } = wordStops(turn.cp);
    turn.words = { starts: starts.filter((s) => s >= turn.labelEnd).map((s) => turn.start + s), ends: ends.filter((e) => e > turn.labelEnd).map((e) => turn.start + e) };
  }
  return turn.words;
}

function currentRange() {
  return highlighter.selectionRange();
}

function cursorPosition() {
  const range = currentRange();
  if (range) return range;
  if (state.cursor !== null) return { start: state.cursor, end: state.cursor };
  const top = highlighter.turns.find((turn) => turn.el.getBoundingClientRect().bottom > 0);
  const at = top ? top.start : 0;
  return { start: at, end: at, fresh: true };
}

function selectRange(start, end) {
  state.cursor = start;
  highlighter.select(start, end);
}

function nextSentence(from, { inclusive }) {
  for (let index = Math.max(0, highlighter.turnIndexAt(from)); index < highlighter.turns.length; index++) {
    for (const sentence of sentencesOf(highlighter.turns[index])) if (inclusive ? sentence[0] >= from : sentence[0] >= from && sentence[1] > from) return sentence;
  }
  return null;
}

function previousSentence(before) {
  for (let index = Math.min(highlighter.turns.length - 1, highlighter.turnIndexAt(before)); index >= 0; index--) {
    const sentences = sentencesOf(highlighter.turns[index]);
    for (let i = sentences.length - 1; i >= 0; i--) if (sentences[i][0] < before) return sentences[i];
  }
  return null;
}

function previousSentenceEnd(before) {
  for (let index = Math.min(highlighter.turns.length - 1, highlighter.turnIndexAt(before)); index >= 0; index--) {
    const sentences = sentencesOf(highlighter.turns[index]);
    for (let i = sentences.length - 1; i >= 0; i--) if (sentences[i][1] < before) return sentences[i][1];
  }
  return null;
}

function moveBySentence(direction, extend) {
  const position = cursorPosition();
  if (extend && !position.fresh && position.end > position.start) {
    if (direction > 0) {
      const next = nextSentence(position.end, { inclusive: false });
      if (next) selectRange(position.start, next[1]);
    } else {
      const end = previousSentenceEnd(position.end);
      if (end !== null && end > position.start) selectRange(position.start, end);
    }
    return;
  }
  const sentence = direction > 0 ? nextSentence(position.fresh ? position.start : position.end, { inclusive: true }) : previousSentence(position.start);
  if (sentence) selectRange(sentence[0], sentence[1]);
}

function moveByTurn(direction) {
  const position = cursorPosition();
  const turns = highlighter.turns;
  let index = highlighter.turnIndexAt(position.start);
  if (direction > 0) index = position.fresh ? Math.max(0, index) : index + 1;
  else index = index - 1;
  for (; index >= 0 && index < turns.length; index += direction) {
    const turn = turns[index];
    if (turn.el.classList.contains("note")) continue;
    const range = highlighter.trim(turn.start + turn.labelEnd, turn.end);
    if (range) {
      selectRange(range.start, range.end);
      return;
    }
  }
}

function moveBoundaryByWord(range, which, direction) {
  // Returns [start, end] with one boundary moved to the next or previous word stop.
  let { start, end } = range;
  const index = highlighter.turnIndexAt(which === "end" ? end - 1 : start);
  const turns = highlighter.turns;
  const stops = [];
  for (let i = Math.max(0, index - 1); i <= Math.min(turns.length - 1, index + 1); i++) stops.push(...wordsOf(turns[i])[which === "end" ? "ends" : "starts"]);
  if (which === "end") {
    const candidate = direction > 0 ? stops.find((s) => s > end) : [...stops].reverse().find((s) => s < end && s > start);
    if (candidate !== undefined) end = candidate;
  } else {
    const candidate = direction > 0 ? stops.find((s) => s > start && s < end) : [...stops].reverse().find((s) => s < start);
    if (candidate !== undefined) start = candidate;
  }
  return [start, end];
}

function moveSelectionByWord(which, direction) {
  const range = currentRange();
  if (!range) {
    moveBySentence(1, false);
    return;
  }
  const [start, end] = moveBoundaryByWord(range, which, direction);
  selectRange(start, end);
}

function stepExcerpt(direction) {
  const list = visibleExcerpts();
  if (!list.length) return;
  const current = state.excerpts.get(state.selectedId);
  const from = current ? current.start : cursorPosition().start;
  let next;
  if (direction > 0) next = list.find((e) => e.start > from || (current && e.start === from && e.id > current.id)) || list[0];
  else next = [...list].reverse().find((e) => e.start < from || (current && e.start === from && e.id < current.id)) || list[list.length - 1];
  state.cursor = next.start;
  selectExcerpt(next.id, { scroll: true, here: [next.id] });
}

/** Clear the selection and close the excerpt's panel (Esc, its Close button, or a tap beside the sheet). */
function deselect() {
  window.getSelection().removeAllRanges();
  state.selectedId = null;
  state.here = [];
  refresh();
  renderPanel();
}

// ---------------------------------------------------------------- events

// On a phone the panel is a sheet over the transcript: a tap anywhere but on it, a highlight or the picker closes it.
const sheetLayout = window.matchMedia("(max-width: 48rem)");
document.addEventListener("click", (event) => {
  if (!sheetLayout.matches || panel.hidden || picker.isOpen()) return;
  if (event.target.closest("#excerpt-panel, .hl, .picker, .coding-bar, dialog")) return;
  const selection = window.getSelection();
  if (selection && !selection.isCollapsed) return;
  deselect();
});

// A mouse drag is widened to whole words (held with Alt, it is taken exactly as dragged).
transcript.addEventListener("mouseup", (event) => {
  setTimeout(() => {
    if (picker.isOpen()) return;
    let range = currentRange();
    if (range && !event.altKey) {
      const words = highlighter.snapToWords(range.start, range.end);
      if (words.start !== range.start || words.end !== range.end) {
        highlighter.select(words.start, words.end, { scroll: false });
        range = words;
      }
    }
    if (range) openPickerForRange(range);
  }, 0);
});

transcript.addEventListener("click", (event) => {
  const selection = window.getSelection();
  if (selection && !selection.isCollapsed) return;
  const span = event.target.closest(".hl");
  if (!span || !span.dataset.ids) return;
  const ids = span.dataset.ids.split(" ").map(Number).filter((id) => id !== PENDING);
  if (!ids.length) return;
  const current = ids.indexOf(state.selectedId);
  // Clicking again where excerpts overlap cycles through them.
  const id = current >= 0 ? ids[(current + 1) % ids.length] : ids[0];
  state.cursor = state.excerpts.get(id).start;
  selectExcerpt(id, { here: ids });
});

document.getElementById("stripes").addEventListener("click", (event) => {
  const stripe = event.target.closest(".stripe");
  if (stripe) selectExcerpt(Number(stripe.dataset.id), { scroll: true, flash: true, here: [Number(stripe.dataset.id)] });
});

panel.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  const excerpt = state.excerpts.get(state.selectedId);
  if (!button || !excerpt) return;
  const action = button.dataset.action;
  if (action === "close-panel") {
    deselect();
  } else if (action === "reapply") {
    reapply();
  } else if (action === "dismiss-conflict") {
    state.conflict = null;
    renderPanel();
    setStatus("Kept the excerpt as it is now.");
  } else if (action === "show") {
    selectExcerpt(Number(button.dataset.id), { scroll: true });
  } else if (action === "add-code") {
    openPickerForExcerpt(excerpt, button);
  } else if (action === "remove-code") {
    const codeId = Number(button.dataset.codeId);
    const remaining = excerpt.code_ids.filter((id) => id !== codeId);
    if (!remaining.length && !excerpt.memo && !excerpt.is_key_quote) {
      perform(() => deleteExcerpt(excerpt));
    } else {
      const label = `Remove “${codeName(codeId)}”`;
      perform(() =>
        updateExcerpt(excerpt, (current) => ({ code_ids: current.code_ids.filter((id) => id !== codeId) }), label).then(() =>
          setStatus(`Removed “${codeName(codeId)}”.`),
        ),
      );
    }
  } else if (action === "save-memo") {
    saveMemo(excerpt);
  } else if (action === "delete") {
    perform(() => deleteExcerpt(excerpt));
  } else if (action === "use-selection") {
    const range = currentRange() || state.lastRange;
    if (!range) {
      setStatus("Select the new extent in the transcript first.", { error: true });
      return;
    }
    perform(() => updateExcerpt(excerpt, { start: range.start, end: range.end }, "Change boundaries").then(() => setStatus("Boundaries changed.")));
  } else if (action.startsWith("start-") || action.startsWith("end-")) {
    const [which, way] = action.split("-");
    perform(() =>
      updateExcerpt(
        excerpt,
        (current) => {
          const [start, end] = moveBoundaryByWord(current, which, way === "later" ? 1 : -1);
          return { start, end };
        },
        "Change boundaries",
      ),
    );
  }
});

function saveMemo(excerpt) {
  const field = panel.querySelector("#excerpt-memo");
  if (!field) return;
  const memo = field.value;
  // Leaving the field and pressing the button both ask to save: the second finds nothing left to do.
  perform(async () => {
    const current = state.excerpts.get(resolve(excerpt.id));
    if (!current || current.memo === memo) return;
    // A save queued behind one that met a newer version waits for the coder's choice in the panel.
    if (state.conflict && state.conflict.id === current.id) return;
    await updateExcerpt(current, { memo }, "Edit memo");
    setStatus("Memo saved.");
  });
}

// The memo saves when it loses focus, with Ctrl+Enter, or with its button.
panel.addEventListener("keydown", (event) => {
  const excerpt = state.excerpts.get(state.selectedId);
  if (excerpt && event.target.id === "excerpt-memo" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    saveMemo(excerpt);
  }
});

panel.addEventListener("change", (event) => {
  const excerpt = state.excerpts.get(state.selectedId);
  if (excerpt && event.target.id === "excerpt-memo") saveMemo(excerpt);
  if (excerpt && event.target.dataset.action === "key-quote") {
    const value = event.target.checked;
    perform(() => updateExcerpt(excerpt, { is_key_quote: value }, value ? "Mark key quote" : "Unmark key quote").then(() => setStatus(value ? "Marked as a key quote." : "No longer a key quote.")));
  }
});

// Remember the last transcript selection so "Use the selected text" works after clicking the panel.
document.addEventListener("selectionchange", () => {
  const range = highlighter.selectionRange();
  if (range) state.lastRange = range;
  // The transcript's own tools (redact.js) follow the selection through this event.
  transcript.dispatchEvent(new CustomEvent("coding:selection", { detail: range || null }));
});

codeFilter.addEventListener("change", (event) => {
  const id = event.target.dataset.codeId;
  if (!id) return;
  if (id === "none") state.hideUncoded = !event.target.checked;
  else if (event.target.checked) state.hiddenCodes.delete(Number(id));
  else state.hiddenCodes.add(Number(id));
  refresh();
});

document.getElementById("filter-all").addEventListener("click", () => {
  state.hiddenCodes.clear();
  state.hideUncoded = false;
  renderFilters();
  refresh();
});

document.getElementById("filter-none").addEventListener("click", () => {
  for (const code of state.codes) state.hiddenCodes.add(code.id);
  state.hideUncoded = true;
  renderFilters();
  refresh();
});

coderFilter.addEventListener("change", () => {
  state.coder = coderFilter.value;
  refresh();
});

keyQuoteFilter.addEventListener("change", () => {
  state.keyQuotesOnly = keyQuoteFilter.checked;
  refresh();
});

undoButton.addEventListener("click", () => perform(undo));

const CODE_NAMES = "coding:code-names-on-highlights";
const codeNamesToggle = document.getElementById("code-names-toggle");

function showCodeNames(on) {
  transcript.classList.toggle("code-names", on);
  codeNamesToggle.checked = on;
  scheduleStripes();
}

if (codeNamesToggle) {
  showCodeNames(window.localStorage.getItem(CODE_NAMES) !== "off");
  codeNamesToggle.addEventListener("change", () => {
    window.localStorage.setItem(CODE_NAMES, codeNamesToggle.checked ? "on" : "off");
    showCodeNames(codeNamesToggle.checked);
  });
}

const SINGLE_KEYS = "coding:single-key-shortcuts";
const singleKeysToggle = document.getElementById("single-key-toggle");

function singleKeysOn() {
  return window.localStorage.getItem(SINGLE_KEYS) !== "off";
}

if (singleKeysToggle) {
  singleKeysToggle.checked = singleKeysOn();
  singleKeysToggle.addEventListener("change", () => {
    window.localStorage.setItem(SINGLE_KEYS, singleKeysToggle.checked ? "on" : "off");
    setStatus(singleKeysToggle.checked ? "Single-key shortcuts are on." : "Single-key shortcuts are off: use the arrow keys, Enter and the buttons.");
  });
}

// ---------------------------------------------------------------- boundary handles

// The selected excerpt's edges carry a handle each; dragging one moves that boundary, snapped to whole words
// (Alt: exactly), and the change is saved (and undone) like the boundary buttons of its panel. Pointer only:
// the keyboard has those buttons.
const column = transcript.parentElement;
const handles = { start: null, end: null };
let drag = null;

function textRects(span) {
  const range = document.createRange();
  range.selectNodeContents(span.lastChild || span);
  return Array.from(range.getClientRects()).filter((rect) => rect.width > 0);
}

function drawHandles() {
  const excerpt = state.excerpts.get(state.selectedId);
  const spans = excerpt && excerpt.can_edit && !drag ? highlighter.spansOf(excerpt.id) : [];
  if (!spans.length) {
    for (const which of ["start", "end"]) handles[which]?.remove();
    handles.start = handles.end = null;
    return;
  }
  const origin = column.getBoundingClientRect();
  const first = textRects(spans[0])[0];
  const last = textRects(spans[spans.length - 1]).at(-1);
  if (!first || !last) return;
  const place = (which, left, rect) => {
    if (!handles[which]) {
      handles[which] = el("div", { cls: `edge-handle edge-${which}`, attrs: { "aria-hidden": "true", "data-edge": which, title: which === "start" ? "Drag to move the start" : "Drag to move the end" } });
      column.append(handles[which]);
    }
    const handle = handles[which];
    handle.style.left = `${left - origin.left}px`;
    handle.style.top = `${rect.top - origin.top}px`;
    handle.style.height = `${rect.height}px`;
  };
  place("start", first.left, first);
  place("end", last.right, last);
}

function caretAt(x, y) {
  if (document.caretPositionFromPoint) {
    const position = document.caretPositionFromPoint(x, y);
    return position ? highlighter.pointToCp(position.offsetNode, position.offset) : null;
  }
  const range = document.caretRangeFromPoint && document.caretRangeFromPoint(x, y);
  return range ? highlighter.pointToCp(range.startContainer, range.startOffset) : null;
}

/** The new [start, end) when the `which` boundary is dropped at `cp`: on a word's edge, never empty. */
function movedBoundary(excerpt, which, cp, exact) {
  let { start, end } = excerpt;
  if (which === "start") {
    start = exact ? cp : highlighter.snapToWords(cp, cp).start;
    while (start < end - 1 && /\s/u.test(highlighter.charAt(start))) start++;
    start = Math.min(start, end - 1);
  } else {
    end = exact ? cp : highlighter.snapToWords(cp, cp).end;
    while (end > start + 1 && /\s/u.test(highlighter.charAt(end - 1))) end--;
    end = Math.max(end, start + 1);
  }
  return { start, end };
}

column.addEventListener("pointerdown", (event) => {
  const handle = event.target instanceof Element && event.target.closest(".edge-handle");
  const excerpt = state.excerpts.get(state.selectedId);
  if (!handle || !excerpt) return;
  event.preventDefault();
  handle.setPointerCapture(event.pointerId);
  drag = { id: excerpt.id, which: handle.dataset.edge, handle, bounds: { start: excerpt.start, end: excerpt.end } };
  document.body.classList.add("dragging-edge");
});

column.addEventListener("pointermove", (event) => {
  if (!drag) return;
  const excerpt = state.excerpts.get(drag.id);
  const cp = caretAt(event.clientX, event.clientY);
  if (!excerpt || cp === null) return;
  drag.bounds = movedBoundary(excerpt, drag.which, cp, event.altKey);
  state.pending = drag.bounds;
  refresh();
});

function endDrag(event, { cancelled = false } = {}) {
  if (!drag) return;
  const { id, bounds, handle } = drag;
  if (handle.hasPointerCapture(event.pointerId)) handle.releasePointerCapture(event.pointerId);
  drag = null;
  state.pending = null;
  document.body.classList.remove("dragging-edge");
  const excerpt = state.excerpts.get(id);
  if (cancelled || !excerpt || (bounds.start === excerpt.start && bounds.end === excerpt.end)) {
    refresh();
    return;
  }
  perform(() => updateExcerpt(excerpt, { start: bounds.start, end: bounds.end }, "Change boundaries").then(() => setStatus("Boundaries changed.")));
}

column.addEventListener("pointerup", (event) => endDrag(event));
column.addEventListener("pointercancel", (event) => endDrag(event, { cancelled: true }));

// ---------------------------------------------------------------- keys

let keys = loadKeys();
const keyForm = document.getElementById("key-form");
const keyFields = document.getElementById("key-fields");

function keyLabel(key) {
  return key.toUpperCase();
}

/** Every place the page names a remappable key says the key in use. */
function showKeys() {
  for (const element of document.querySelectorAll("[data-key]")) element.textContent = keyLabel(keys[element.dataset.key]);
  transcript.setAttribute("aria-label", `Transcript: select a passage, or press ${keyLabel(keys.nextSentence)} to select a sentence, then Enter to code it`);
  if (!keyFields) return;
  keyFields.replaceChildren(
    ...ACTIONS.map(([action, , description]) => {
      const input = el("input", { attrs: { type: "text", id: `key-${action}`, name: action, maxlength: "2", size: "2", autocomplete: "off", spellcheck: "false" } });
      input.value = keys[action];
      return el("div", { cls: "field key-field" }, input, " ", el("label", { text: description, attrs: { for: `key-${action}` } }));
    }),
  );
}

if (keyForm) {
  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = Object.fromEntries(ACTIONS.map(([action]) => [action, keyForm.elements[action].value]));
    const { keys: checked, errors } = checkKeys(wanted);
    for (const error of keyForm.querySelectorAll(".error")) error.remove();
    for (const input of keyForm.querySelectorAll("input")) input.removeAttribute("aria-invalid");
    if (errors) {
      for (const [action, message] of Object.entries(errors)) {
        const input = keyForm.elements[action];
        input.setAttribute("aria-invalid", "true");
        input.parentElement.append(el("p", { cls: "error", text: message, attrs: { role: "alert" } }));
      }
      setStatus("The keys were not saved: see the messages under them.", { error: true });
      return;
    }
    keys = checked;
    saveKeys(keys);
    showKeys();
    setStatus("Keys saved in this browser.");
  });
  document.getElementById("key-reset").addEventListener("click", () => {
    keys = resetKeys();
    showKeys();
    setStatus("The usual keys are back.");
  });
}

showKeys();

document.addEventListener("keydown", (event) => {
  if (picker.isOpen() || event.defaultPrevented) return;
  const target = event.target;
  const typing = target instanceof Element && target.closest("input, textarea, select, [contenteditable]");
  const key = event.key;
  if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && key.toLowerCase() === "z") {
    if (typing) return; // text fields keep their own undo
    event.preventDefault();
    perform(undo);
    return;
  }
  if (typing || event.altKey || event.metaKey) return;
  // WCAG 2.1.4: single-character shortcuts can be turned off (and remapped); arrows, Enter, Esc and Delete still work.
  if (!singleKeysOn() && key.length === 1 && !event.ctrlKey) return;
  const action = event.ctrlKey ? null : actionFor(keys, event);
  const inTranscript = target === document.body || transcript.contains(target);
  const onButton = target instanceof Element && target.closest("button, a, summary");
  if (action === "help") {
    event.preventDefault();
    shortcuts.open = !shortcuts.open;
    if (shortcuts.open) shortcuts.scrollIntoView({ block: "nearest" });
    return;
  }
  if (key === "Escape") {
    deselect();
    return;
  }
  const excerpt = state.excerpts.get(state.selectedId);
  if (!onButton && !event.ctrlKey) {
    if (action === "nextExcerpt" || action === "previousExcerpt") {
      event.preventDefault();
      stepExcerpt(action === "nextExcerpt" ? 1 : -1);
      return;
    }
    if (excerpt && excerpt.can_edit && !currentRange()) {
      if (action === "addCode") {
        event.preventDefault();
        const button = panel.querySelector("[data-action=add-code]");
        if (button) openPickerForExcerpt(excerpt, button);
        return;
      }
      if (action === "keyQuote") {
        event.preventDefault();
        perform(() => updateExcerpt(excerpt, (current) => ({ is_key_quote: !current.is_key_quote }), "Key quote mark"));
        return;
      }
      if (action === "memo") {
        event.preventDefault();
        panel.querySelector("#excerpt-memo").focus();
        return;
      }
      if (key === "Delete") {
        event.preventDefault();
        perform(() => deleteExcerpt(excerpt));
        return;
      }
    }
  }
  if (!inTranscript) return;
  if (key === "ArrowDown" || action === "nextSentence") {
    event.preventDefault();
    moveBySentence(1, event.shiftKey);
  } else if (key === "ArrowUp" || action === "previousSentence") {
    event.preventDefault();
    moveBySentence(-1, event.shiftKey);
  } else if (action === "nextTurn" || action === "previousTurn") {
    event.preventDefault();
    moveByTurn(action === "nextTurn" ? 1 : -1);
  } else if ((key === "ArrowRight" || key === "ArrowLeft") && event.shiftKey) {
    event.preventDefault();
    moveSelectionByWord(event.ctrlKey ? "start" : "end", key === "ArrowRight" ? 1 : -1);
  } else if ((key === "Enter" || action === "code") && !event.ctrlKey) {
    const range = currentRange();
    if (range) {
      event.preventDefault();
      openPickerForRange(range);
    }
  }
});

function showExcerptFromHash() {
  const match = /^#excerpt-(\d+)$/.exec(window.location.hash);
  if (!match) return;
  const id = Number(match[1]);
  const excerpt = state.excerpts.get(id);
  if (!excerpt) {
    setStatus("That excerpt is not in this interview, or it is not shared with you.", { error: true });
    return;
  }
  if (!isVisible(excerpt)) {
    state.hiddenCodes.clear();
    state.hideUncoded = false;
    state.coder = "";
    state.keyQuotesOnly = false;
    coderFilter.value = "";
    keyQuoteFilter.checked = false;
    renderFilters();
  }
  state.cursor = excerpt.start;
  selectExcerpt(id, { scroll: true, flash: true, here: [id] });
}

window.addEventListener("hashchange", showExcerptFromHash);

let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(scheduleStripes, 120);
});

// ---------------------------------------------------------------- coding together

// The page asks the server what changed on the interview every second while it is in view. The answer is 304,
// with no body, until something does; then only the excerpts that changed are sent (coding.live).
const POLL_MS = 1000;
const MAX_BACKOFF_MS = 30000;
const present = document.getElementById("present");
const liveStatus = document.getElementById("live-status");
const timeFormat = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const live = { etag: null, version: null, timer: 0, asking: false, failures: 0, stopped: false };

function renderPresent(people) {
  present.replaceChildren(
    ...people.map((person) => {
      const item = el("li", { text: person.initials, attrs: { title: `${person.name} has this interview open`, "aria-label": person.name } });
      item.style.backgroundColor = person.colour;
      item.style.color = person.text_colour;
      return item;
    }),
  );
  present.hidden = !people.length;
  present.dataset.count = String(people.length);
}

/** What others did, in a few words, for the line beside the status. */
function describeChanges(added, changed, deleted) {
  const parts = [];
  const coders = (list) => [...new Set(list.map((excerpt) => (excerpt.coded_by.id === config.user.id ? "you" : excerpt.coded_by.name)))].join(", ");
  const count = (list) => (list.length === 1 ? "an excerpt" : `${list.length} excerpts`);
  if (added.length) parts.push(`${coders(added)} coded ${count(added)}`);
  if (changed.length) parts.push(`${count(changed)} by ${coders(changed)} changed`);
  if (deleted) parts.push(`${deleted === 1 ? "an excerpt was" : `${deleted} excerpts were`} deleted`);
  return parts.join("; ");
}

/** A memo the coder is writing whose excerpt someone else changed: the usual conflict, as a save would meet it. */
function draftOvertaken(before, now) {
  const draft = panel.querySelector("#excerpt-memo");
  if (!draft || panel.dataset.excerptId !== String(now.id) || draft.value === draft.defaultValue || before.memo === now.memo) return;
  if (state.conflict && state.conflict.id === now.id) return;
  state.conflict = { id: now.id, attempt: { changes: { memo: draft.value }, label: "Edit memo" }, lines: [`memo: now ${describe(now, "memo")}`] };
}

function applyChanges(data) {
  const added = [];
  const changed = [];
  let deleted = 0;
  let selectedChanged = false;
  if (data.full) {
    // The whole list (blind coding revealed, or much changed at once): what it lacks is gone.
    const incoming = new Set(data.excerpts.map((excerpt) => excerpt.id));
    data.deleted = [...state.excerpts.keys()].filter((id) => !incoming.has(id));
  }
  for (const excerpt of data.excerpts) {
    if (state.removed.has(excerpt.id)) continue;
    const before = state.excerpts.get(excerpt.id);
    // This page's own writes arrive back at the version it already holds; an older answer is out of date.
    if (before && before.version >= excerpt.version) continue;
    storeExcerpt(excerpt);
    if (excerpt.id === state.selectedId) {
      selectedChanged = true;
      if (before) draftOvertaken(before, excerpt);
    }
    (before ? changed : added).push(excerpt);
  }
  for (const id of data.deleted || []) {
    if (!state.excerpts.has(id)) continue;
    state.excerpts.delete(id);
    deleted += 1;
    if (state.selectedId === id) {
      state.selectedId = null;
      setStatus("The excerpt you had open was deleted by someone else.");
    }
  }
  const codesChanged = Array.isArray(data.codes);
  if (codesChanged) setCodes(data.codes);
  renderPresent(data.present || []);
  const summary = describeChanges(added, changed, deleted);
  if (summary || codesChanged) {
    renderFilters();
    refresh();
    if (selectedChanged || state.selectedId === null) renderPanel();
    const what = [summary, codesChanged ? "the codebook changed" : ""].filter(Boolean).join("; ");
    liveStatus.textContent = `${what.charAt(0).toUpperCase()}${what.slice(1)} (${timeFormat.format(new Date())}).`;
  }
  if (data.transcript_changed) {
    live.stopped = true;
    liveStatus.replaceChildren(
      el("strong", { text: "The transcript was corrected or redacted since you opened it. " }),
      el("a", { text: "Reload the page", attrs: { href: window.location.href } }),
      " to code the new text; nothing you did is lost.",
    );
  }
}

async function ask() {
  if (live.asking || live.stopped || document.hidden) return;
  live.asking = true;
  let delay = POLL_MS;
  try {
    const url = `${config.excerptsUrl}?since=${encodeURIComponent(live.version)}`;
    const answer = await requestIfChanged(url, live.etag);
    if (answer) {
      live.etag = answer.etag;
      live.version = answer.data.version;
      // Applied between writes, never in the middle of one.
      await queue;
      applyChanges(answer.data);
    }
    live.failures = 0;
  } catch (error) {
    if (error.status === 401 || error.status === 403 || error.status === 404) {
      live.stopped = true;
      liveStatus.textContent = "Changes by others are no longer shown: reload the page.";
    }
    live.failures += 1;
    delay = Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** live.failures);
  } finally {
    live.asking = false;
  }
  clearTimeout(live.timer);
  if (!live.stopped) live.timer = setTimeout(ask, delay);
}

function startLive(answer) {
  live.version = answer.version;
  live.etag = `"${answer.version}"`;
  renderPresent(answer.present || []);
  live.timer = setTimeout(ask, POLL_MS);
  document.addEventListener("visibilitychange", () => {
    // Hidden pages do not ask; back in view, the page catches up at once.
    if (!document.hidden) {
      clearTimeout(live.timer);
      ask();
    }
  });
  window.addEventListener("pagehide", () => {
    live.stopped = true;
    if (config.presenceUrl) sendOnLeaving("DELETE", config.presenceUrl);
  });
}

async function start() {
  setStatus("Loading the coding…");
  let excerpts;
  try {
    let codes;
    [codes, excerpts] = await Promise.all([request("GET", config.codesUrl), request("GET", config.excerptsUrl)]);
    setCodes(codes.codes);
    for (const excerpt of excerpts.excerpts) storeExcerpt(excerpt);
  } catch (error) {
    setStatus(`The coding could not be loaded: ${error.message}`, { error: true });
    return;
  }
  renderFilters();
  refresh();
  renderUndo();
  setStatus("");
  transcript.dataset.ready = "true";
  performance.mark("coding:ready");
  showExcerptFromHash();
  if (document.fonts) document.fonts.ready.then(scheduleStripes);
  startLive(excerpts);
}

start();
