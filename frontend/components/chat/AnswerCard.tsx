"use client";

import { ErrorNotice } from "@/components/ErrorNotice";
import { ApiError } from "@/lib/api/problem";
import type { AnswerKind, MessageStatus, Source, SupportNote as Note } from "@/lib/api/types";
import type { DraftStatus } from "@/lib/chat/answer-stream";
import { citedNumbers } from "@/lib/chat/remark-citations";
import { engineLabel, FALLBACK_DISCLAIMER } from "@/lib/chat/wording";

import { CitedMarkdown } from "./CitedMarkdown";
import { EscalationCard } from "./EscalationCard";
import { SupportNote } from "./SupportNote";

/** What an answer card shows, whether stored or still streaming. */
export type Answer = {
  kind: AnswerKind;
  status: MessageStatus | DraftStatus;
  content: string;
  sources: readonly Source[];
  /** The calm support note beside a normal answer (triage's weaker tier), if any. */
  support?: Note | null;
  citations: readonly number[];
  engine: string | null;
  disclaimer: string | null;
  error: ApiError | null;
};

type Props = {
  answer: Answer;
  onCite: (source: Source, chip: HTMLButtonElement) => void;
  /** Answer again (a stored stopped or failed answer). */
  onRegenerate?: () => void;
  /** Send the question again (it failed before an answer existed). */
  onRetry?: () => void;
};

export function AnswerCard({ answer, onCite, onRegenerate, onRetry }: Props) {
  if (answer.kind === "escalation") {
    return <EscalationCard content={answer.content} disclaimer={answer.disclaimer} />;
  }
  const busy = answer.status === "waiting" || answer.status === "streaming";
  const engine = engineLabel(answer.engine);
  const cited = citedSources(answer);

  return (
    <article aria-label="Answer" aria-busy={busy} className="card">
      <header className="mb-1 flex flex-wrap items-center gap-2 text-xs text-slate-600">
        <span className="font-semibold text-teal-800">Lumen</span>
        {engine && <span>· {engine}</span>}
        {answer.status === "stopped" && (
          <span className="rounded bg-amber-100 px-1.5 py-0.5 font-semibold text-amber-900">
            Stopped
          </span>
        )}
      </header>

      {answer.support && <SupportNote note={answer.support} />}

      {answer.status === "waiting" && (
        <p className="animate-pulse text-slate-600">Searching the sources…</p>
      )}
      {answer.content && (
        <CitedMarkdown content={answer.content} sources={answer.sources} onCite={onCite} />
      )}
      {answer.status === "streaming" && (
        <span aria-hidden className="inline-block h-4 w-2 animate-pulse bg-teal-700 align-middle" />
      )}

      {answer.status === "stopped" && (
        <div className="mt-3 flex flex-wrap items-center gap-2 rounded-md bg-amber-50 p-3 text-sm text-amber-950">
          <p className="grow">
            {answer.content
              ? "This answer was stopped before it finished."
              : "Stopped before an answer began."}
          </p>
          {onRegenerate && (
            <button type="button" className="btn-secondary" onClick={onRegenerate}>
              Regenerate
            </button>
          )}
          {!onRegenerate && onRetry && (
            <button type="button" className="btn-secondary" onClick={onRetry}>
              Retry
            </button>
          )}
        </div>
      )}
      {answer.status === "failed" && (
        <div className="mt-3">
          <ErrorNotice
            error={answer.error ?? FAILED}
            onRetry={onRegenerate ?? onRetry}
            retryLabel={onRegenerate ? "Regenerate" : "Retry"}
          />
        </div>
      )}

      {cited.length > 0 && !busy && (
        <section aria-label="Sources" className="mt-3 border-t border-slate-200 pt-2">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-600">Sources</h3>
          <ol className="mt-1 space-y-1 text-sm">
            {cited.map((source) => (
              <li key={source.n} className="flex gap-2">
                <span className="w-5 shrink-0 text-right font-semibold text-slate-600">
                  {source.n}.
                </span>
                <button
                  type="button"
                  aria-haspopup="dialog"
                  className="text-left text-teal-800 underline underline-offset-2 hover:text-teal-950"
                  onClick={(event) => onCite(source, event.currentTarget)}
                >
                  {source.title}
                  <span className="text-slate-600"> — {source.source_name}</span>
                </button>
              </li>
            ))}
          </ol>
        </section>
      )}

      <p className="mt-3 text-xs text-slate-600">{answer.disclaimer ?? FALLBACK_DISCLAIMER}</p>
    </article>
  );
}

const FAILED = new ApiError({
  status: 500,
  title: "This answer failed",
  detail: "Lumen could not finish this answer.",
});

/** The sources the answer cites (its `citations`, or the markers in a partial answer), by number. */
function citedSources(answer: Answer): Source[] {
  const wanted = new Set([...answer.citations, ...citedNumbers(answer.content)]);
  return answer.sources.filter((s) => wanted.has(s.n)).sort((a, b) => a.n - b.n);
}
