import type { Source } from "@/lib/api/types";

/** Characters of the document shown on each side of a cited passage. */
const CONTEXT_CHARS = 280;

export type PassageInContext = { before: string; passage: string; after: string };

/**
 * The cited passage with some of the document around it. `start`/`end` are offsets into the
 * document text (DESIGN.md, Knowledge base); when they do not frame the snippet exactly, the
 * snippet's first occurrence is used, and null means it cannot be placed at all.
 */
export function passageInContext(text: string, source: Source): PassageInContext | null {
  let { start, end } = source;
  if (text.slice(start, end) !== source.snippet) {
    start = text.indexOf(source.snippet);
    if (start < 0 || source.snippet.length === 0) return null;
    end = start + source.snippet.length;
  }
  const from = Math.max(0, start - CONTEXT_CHARS);
  const to = Math.min(text.length, end + CONTEXT_CHARS);
  return {
    before: (from > 0 ? "…" : "") + text.slice(from, start),
    passage: text.slice(start, end),
    after: text.slice(end, to) + (to < text.length ? "…" : ""),
  };
}
