// Offsets: the server counts Unicode code points of the canonical transcript; the DOM counts UTF-16
// code units. Everything that crosses that boundary goes through these helpers.

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/;

/** The number of code points in a string (an emoji outside the BMP counts as one). */
export function cpLength(text) {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** A piece of text that converts between code-point and UTF-16 offsets, in O(1) when it has no astral characters. */
export class CodePointText {
  constructor(text) {
    this.text = text;
    this.units = null;
    if (SURROGATE_PAIR.test(text)) {
      // units[cp] = the UTF-16 offset of code point cp; one entry past the end.
      this.units = [];
      for (let i = 0; i < text.length; i++) {
        this.units.push(i);
        const unit = text.charCodeAt(i);
        if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
          const next = text.charCodeAt(i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) i++;
        }
      }
      this.units.push(text.length);
      this.length = this.units.length - 1;
    } else {
      this.length = text.length;
    }
  }

  toUnits(cp) {
    if (!this.units) return cp;
    return this.units[Math.max(0, Math.min(cp, this.length))];
  }

  toCodePoints(unit) {
    if (!this.units) return unit;
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.units[mid] <= unit) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  slice(startCp, endCp) {
    return this.text.slice(this.toUnits(startCp), this.toUnits(endCp));
  }

  /** The code point at a code-point offset, as a string. */
  at(cp) {
    return this.slice(cp, cp + 1);
  }
}

const sentenceSegmenter = typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter("en-GB", { granularity: "sentence" }) : null;
const wordSegmenter = typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter("en-GB", { granularity: "word" }) : null;

/** Sentences of a turn as [start, end) code-point offsets within it, from `from` on, without trailing space. */
export function sentenceBounds(cpText, from = 0) {
  const bounds = [];
  const startUnit = cpText.toUnits(from);
  const text = cpText.text.slice(startUnit);
  const pieces = sentenceSegmenter
    ? Array.from(sentenceSegmenter.segment(text), (s) => [s.index, s.segment])
    : Array.from(text.matchAll(/[^.!?…]+(?:[.!?…]+["'”’)\]]*|$)\s*/gu), (m) => [m.index, m[0]]);
  for (const [index, segment] of pieces) {
    const trimmed = segment.replace(/\s+$/u, "");
    const lead = segment.length - segment.replace(/^\s+/u, "").length;
    if (!trimmed.trim()) continue;
    const start = cpText.toCodePoints(startUnit + index + lead);
    const end = cpText.toCodePoints(startUnit + index + trimmed.length);
    if (end > start) bounds.push([start, end]);
  }
  return bounds;
}

/** Word starts and ends (code points within the text): the places a boundary can move to by a word. */
export function wordStops(cpText) {
  const starts = [];
  const ends = [];
  if (wordSegmenter) {
    for (const piece of wordSegmenter.segment(cpText.text)) {
      if (!piece.isWordLike && !/\S/u.test(piece.segment)) continue;
      starts.push(cpText.toCodePoints(piece.index));
      ends.push(cpText.toCodePoints(piece.index + piece.segment.length));
    }
  } else {
    for (const match of cpText.text.matchAll(/\S+/gu)) {
      starts.push(cpText.toCodePoints(match.index));
      ends.push(cpText.toCodePoints(match.index + match[0].length));
    }
  }
  return { starts, ends };
}

export function isSpace(character) {
  return /^\s$/u.test(character);
}

/** "#1f77b4" with an alpha, as rgba(). */
export function tint(hex, alpha) {
  const value = /^#([0-9a-f]{6})$/i.exec(hex || "") ? parseInt(hex.slice(1), 16) : 0x888888;
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}
