/** Shown under an answer whose stored disclaimer has not arrived yet (it comes with `done`). */
export const FALLBACK_DISCLAIMER =
  "Lumen gives general health information from public sources. It is not medical advice and " +
  "does not replace a doctor or pharmacist. In an emergency, call 911.";

/** Longest question the API accepts (MessageCreate.content, 1..4000 characters). */
export const MAX_QUESTION_CHARS = 4000;

const ENGINE_LABELS: Record<string, string | null> = {
  extractive: "Quoted from the sources",
  openai: "Written by a language model from the sources",
  triage: null,
};

/** How an answer was produced, in words; null when not worth saying. */
export function engineLabel(engine: string | null): string | null {
  if (!engine) return null;
  return engine in ENGINE_LABELS ? (ENGINE_LABELS[engine] ?? null) : engine;
}

/** A conversation title from its first question: one line, at most 80 characters. */
export function titleFromQuestion(question: string): string {
  const line = question.trim().replace(/\s+/g, " ");
  return line.length <= 80 ? line : `${line.slice(0, 79)}…`;
}

/**
 * MedQuAD's required attribution (CC BY 4.0), shown with a MedQuAD passage whose source
 * record carries none (shared/data/README.md).
 */
export const MEDQUAD_ATTRIBUTION =
  "MedQuAD, Asma Ben Abacha and Dina Demner-Fushman, U.S. National Library of Medicine";
export const MEDQUAD_LICENCE = "CC BY 4.0";
