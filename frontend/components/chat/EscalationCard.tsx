import { useId } from "react";

import { CitedMarkdown } from "./CitedMarkdown";

type Props = { content: string; disclaimer: string | null };

const NO_SOURCES: never[] = [];
const NO_CITE = () => undefined;

/**
 * The answer to a message that triage judged a crisis or an emergency (`kind: "escalation"`):
 * no sources, the server's words, and one-tap ways to get help now: the 988 Suicide & Crisis
 * Lifeline by call or text, 911, and Poison Control (America's Poison Centers, 1-800-222-1222).
 */
export function EscalationCard({ content, disclaimer }: Props) {
  const headingId = useId();
  return (
    <section
      aria-labelledby={headingId}
      className="rounded-lg border-2 border-red-700 bg-red-50 p-4 text-red-950 shadow-sm"
    >
      <h2 id={headingId} className="text-lg font-bold">
        Get help now
      </h2>
      {content && (
        <div className="mt-2 [&_.prose]:text-red-950">
          <CitedMarkdown content={content} sources={NO_SOURCES} onCite={NO_CITE} />
        </div>
      )}
      <p className="mt-3 font-semibold">
        Call or text 988 (Suicide &amp; Crisis Lifeline), any time. In an emergency, call 911.
      </p>
      <div className="mt-3 flex flex-wrap gap-2">
        <a href="tel:988" className="btn-danger">
          Call 988
        </a>
        <a href="sms:988" className="btn-danger">
          Text 988
        </a>
        <a
          href="tel:911"
          className="btn border-2 border-red-700 bg-white text-red-800 hover:bg-red-100"
        >
          Call 911
        </a>
      </div>
      <p className="mt-3 text-sm">
        Poisoning or overdose:{" "}
        <a href="tel:18002221222" className="font-semibold underline">
          call Poison Control at 1-800-222-1222
        </a>
        .
      </p>
      {disclaimer && <p className="mt-3 text-xs text-red-900">{disclaimer}</p>}
    </section>
  );
}
