import { useId } from "react";

import type { SupportNote as Note } from "@/lib/api/types";

type Props = { note: Note };

type Line = { key: string; href: string; label: string };

const LIFELINE: Line = { key: "lifeline", href: "tel:988", label: "Call or text 988" };
const POISON: Line = {
  key: "poison",
  href: "tel:18002221222",
  label: "Poison Control 1-800-222-1222",
};
const EMERGENCY: Line = { key: "emergency", href: "tel:911", label: "Call 911" };

/** The category's own line first; every note offers all three. */
const ORDER: Record<Note["category"], readonly Line[]> = {
  self_harm: [LIFELINE, POISON, EMERGENCY],
  poisoning: [POISON, EMERGENCY, LIFELINE],
  emergency: [EMERGENCY, POISON, LIFELINE],
};

/**
 * The calm note that triage's weaker tier puts above a normal answer (`support` in `meta` and
 * on the stored message): the server's fixed wording and one-tap numbers for the 988 Suicide &
 * Crisis Lifeline, Poison Control (America's Poison Centers) and 911. Deliberately quiet, unlike
 * the red crisis card, which replaces an answer only for a crisis happening now.
 */
export function SupportNote({ note }: Props) {
  const headingId = useId();
  return (
    <aside
      aria-labelledby={headingId}
      className="mb-3 rounded-md border border-sky-200 bg-sky-50 p-3 text-sm text-sky-950"
    >
      <h3 id={headingId} className="font-semibold">
        Support is available
      </h3>
      <p className="mt-1">{note.text}</p>
      <ul aria-label="Phone numbers" className="mt-2 flex flex-wrap gap-2">
        {ORDER[note.category].map((line) => (
          <li key={line.key}>
            <a
              href={line.href}
              className="inline-block rounded-full border border-sky-300 bg-white px-3 py-1 font-medium text-sky-900 underline-offset-2 hover:bg-sky-100 hover:underline"
            >
              {line.label}
            </a>
          </li>
        ))}
      </ul>
    </aside>
  );
}
