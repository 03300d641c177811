import type { PhrasingContent, Root } from "mdast";
import { findAndReplace } from "mdast-util-find-and-replace";

/** `[3]` or `[1, 2]`: the markers the backend writes for numbered sources (DESIGN.md, SSE). */
const MARKER = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g;

/** The hast property carrying a chip's source number, read back by the `button` renderer. */
export const CITATION_PROPERTY = "dataCitation";

/** Every source number that citation markers in `text` name, in order of first mention. */
export function citedNumbers(text: string): number[] {
  const seen = new Set<number>();
  for (const match of text.matchAll(MARKER)) {
    for (const part of (match[1] ?? "").split(",")) seen.add(Number(part.trim()));
  }
  return [...seen];
}

export type RemarkCitationsOptions = { known: ReadonlySet<number> };

/**
 * Turns citation markers in text into `<button data-citation=n>` elements (via mdast-util-to-hast's
 * `data.hName`), one per number. Markers naming no known source stay as text, and markers
 * inside code are never touched (findAndReplace skips code nodes). No raw HTML is involved, so
 * these are the only buttons a rendered answer can contain.
 */
export function remarkCitations({ known }: RemarkCitationsOptions) {
  return (tree: Root) => {
    findAndReplace(tree, [
      [
        MARKER,
        (whole: string, list: string): PhrasingContent[] | false => {
          const numbers = list.split(",").map((part) => Number(part.trim()));
          if (!numbers.every((n) => known.has(n))) return false;
          return numbers.map((n) => ({
            type: "text",
            value: whole,
            data: {
              hName: "button",
              hProperties: { [CITATION_PROPERTY]: n },
              hChildren: [{ type: "text", value: String(n) }],
            },
          }));
        },
      ],
    ]);
  };
}
