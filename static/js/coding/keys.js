// The coding page's single-key shortcuts, which each coder may change: kept in this browser (localStorage).
// Arrows, Enter, Esc, Delete and Ctrl+Z stay as they are; only the letter and symbol keys can be remapped.

const STORE = "coding:keys";

export const ACTIONS = [
  ["nextSentence", "j", "Select the next sentence (with Shift: extend the selection)"],
  ["previousSentence", "k", "Select the previous sentence (with Shift: shrink the selection)"],
  ["nextTurn", "]", "Select the next speaker turn"],
  ["previousTurn", "[", "Select the previous speaker turn"],
  ["code", "c", "Code the selection: opens the code picker"],
  ["nextExcerpt", "n", "Go to the next excerpt"],
  ["previousExcerpt", "p", "Go to the previous excerpt"],
  ["addCode", "a", "Add a code to the selected excerpt"],
  ["keyQuote", "q", "Mark or unmark the selected excerpt as a key quote"],
  ["memo", "m", "Edit the selected excerpt's memo"],
  ["help", "?", "Show or hide the keyboard shortcuts"],
];

export const DEFAULT_KEYS = Object.fromEntries(ACTIONS.map(([action, key]) => [action, key]));

/** One printable character, not a space; letters are kept in lower case (Shift is read separately). */
function normal(key) {
  if (typeof key !== "string" || [...key].length !== 1 || /\s/u.test(key)) return null;
  return key.toLowerCase();
}

/**
 * Check a full set of keys: every action has one key, no key serves two actions. Returns {keys} or {errors},
 * errors keyed by action.
 */
export function checkKeys(wanted) {
  const keys = {};
  const errors = {};
  const actionsOf = new Map();
  for (const [action] of ACTIONS) {
    const key = normal(wanted[action]);
    if (!key) {
      errors[action] = "Give one character (a letter, a digit or a sign), not a space.";
      continue;
    }
    keys[action] = key;
    actionsOf.set(key, [...(actionsOf.get(key) || []), action]);
  }
  for (const [key, actions] of actionsOf) {
    if (actions.length > 1) for (const action of actions) errors[action] = `“${key}” is the key for more than one action: give each its own.`;
  }
  return Object.keys(errors).length ? { errors } : { keys };
}

/** The keys in use here: the coder's own if they are whole and consistent, else the defaults. */
export function loadKeys() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(STORE) || "null");
    if (saved && typeof saved === "object") {
      const { keys } = checkKeys({ ...DEFAULT_KEYS, ...saved });
      if (keys) return keys;
    }
  } catch {
    // Unreadable: the defaults.
  }
  return { ...DEFAULT_KEYS };
}

export function saveKeys(keys) {
  window.localStorage.setItem(STORE, JSON.stringify(keys));
}

export function resetKeys() {
  window.localStorage.removeItem(STORE);
  return { ...DEFAULT_KEYS };
}

/** The action a key press asks for, or null. */
export function actionFor(keys, event) {
  const key = normal(event.key);
  if (!key) return null;
  for (const [action, mapped] of Object.entries(keys)) if (mapped === key) return action;
  return null;
}
