"use client";

import { useEffect, useId, useRef } from "react";

import { useSourceDocument } from "@/lib/api/queries";
import type { Source } from "@/lib/api/types";
import { passageInContext } from "@/lib/chat/passage";
import { MEDQUAD_ATTRIBUTION, MEDQUAD_LICENCE } from "@/lib/chat/wording";

type Props = { source: Source | null; onClose: () => void };

/**
 * A cited source: where it comes from, the exact passage highlighted in its context, the link
 * to the original and its licence. A modal `<dialog>`: the browser moves focus in, closes on
 * Escape and returns focus to the chip that opened it.
 */
export function SourcePanel({ source, onClose }: Props) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const headingId = useId();

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (source && !dialog.open) dialog.showModal();
    if (!source && dialog.open) dialog.close();
  }, [source]);

  return (
    <dialog
      ref={dialogRef}
      aria-labelledby={headingId}
      onClose={onClose}
      className="m-0 ml-auto h-full max-h-none w-full max-w-xl overflow-y-auto bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/50 sm:border-l sm:border-slate-200"
    >
      {source && <SourceDetails source={source} headingId={headingId} onClose={onClose} />}
    </dialog>
  );
}

function SourceDetails({
  source,
  headingId,
  onClose,
}: {
  source: Source;
  headingId: string;
  onClose: () => void;
}) {
  const document = useSourceDocument(source.document_id);
  const placed = document.data ? passageInContext(document.data.text, source) : null;
  const medquad = source.document_id.startsWith("medquad:");
  const attribution = source.attribution ?? (medquad ? MEDQUAD_ATTRIBUTION : null);
  const licence = source.licence ?? (medquad ? MEDQUAD_LICENCE : null);

  return (
    <div className="flex flex-col gap-4 p-5">
      <div className="flex items-start justify-between gap-3">
        <h2 id={headingId} className="text-lg font-semibold leading-snug">
          <span className="block text-sm font-medium text-teal-800">Source {source.n}</span>
          {source.title}
        </h2>
        <button type="button" className="btn-secondary shrink-0" onClick={onClose}>
          Close
        </button>
      </div>

      <dl className="grid grid-cols-[auto,1fr] gap-x-3 gap-y-1 text-sm">
        <dt className="font-medium text-slate-600">From</dt>
        <dd>{source.source_name}</dd>
        <dt className="font-medium text-slate-600">Section</dt>
        <dd>{source.section}</dd>
      </dl>

      <figure>
        <figcaption className="mb-1 text-sm font-medium text-slate-600">Cited passage</figcaption>
        <blockquote className="whitespace-pre-line rounded-md border-l-4 border-amber-500 bg-slate-50 p-3 text-[0.95rem] leading-relaxed">
          {placed ? (
            <>
              <span className="text-slate-600">{placed.before}</span>
              <mark className="rounded-sm bg-amber-200 px-0.5 text-slate-900">
                {placed.passage}
              </mark>
              <span className="text-slate-600">{placed.after}</span>
            </>
          ) : (
            <mark className="rounded-sm bg-amber-200 px-0.5 text-slate-900">{source.snippet}</mark>
          )}
        </blockquote>
      </figure>

      {source.url ? (
        <p>
          <a
            href={source.url}
            target="_blank"
            rel="noopener noreferrer"
            className="break-all font-medium text-teal-800 underline underline-offset-2"
          >
            Read the original at {source.source_name}
            <span className="sr-only"> (opens in a new tab)</span>
          </a>
          <span className="mt-1 block break-all text-xs text-slate-600">{source.url}</span>
        </p>
      ) : (
        <p className="text-sm text-slate-600">This source has no public link.</p>
      )}

      {(licence || attribution) && (
        <p className="border-t border-slate-200 pt-3 text-xs text-slate-600">
          {attribution}
          {attribution && licence ? " · " : ""}
          {licence && <>Licence: {licence}</>}
        </p>
      )}
    </div>
  );
}
