"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useRef, useState } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { when } from "@/components/format";
import { Section } from "@/components/Section";
import { useAdminDocument, useDeleteDocument } from "@/lib/api/knowledge";
import type { AdminDocumentDetail, IndexedChunk } from "@/lib/api/types";
import { ADMIN_KNOWLEDGE_HREF } from "@/lib/routes";

import { AdminNav } from "../AdminNav";
import { collectionName, fileStatusName, NUMBER, sourceName } from "./names";

/** Chunks shown before "Show all": a long label has hundreds. */
const FIRST_CHUNKS = 50;

function Facts({ doc }: { doc: AdminDocumentDetail }) {
  const facts: [string, string][] = [
    ["Id", doc.id],
    ["Source", `${doc.source_name} (${sourceName(doc.source)})`],
    ["Collection", collectionName(doc.collection)],
    ["Status", doc.status],
    ["Chunks", NUMBER.format(doc.chunk_count)],
    ["Version", doc.version],
    ["Updated", when(doc.updated_at)],
  ];
  return (
    <dl className="grid gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]">
      {facts.map(([term, value]) => (
        <div key={term} className="contents">
          <dt className="font-semibold">{term}</dt>
          <dd className="break-all">{value}</dd>
        </div>
      ))}
      {doc.url && (
        <div className="contents">
          <dt className="font-semibold">Original</dt>
          <dd className="break-all">
            <a href={doc.url} className="underline" rel="noreferrer noopener" target="_blank">
              {doc.url}
            </a>
          </dd>
        </div>
      )}
    </dl>
  );
}

function Chunks({ doc }: { doc: AdminDocumentDetail }) {
  const [all, setAll] = useState(false);
  const titles = new Map(doc.sections.map((s) => [s.id, s.title]));
  const shown: IndexedChunk[] = all ? doc.chunks : doc.chunks.slice(0, FIRST_CHUNKS);
  return (
    <Section id="chunks" title={`Chunks (${NUMBER.format(doc.chunks.length)})`}>
      <p className="text-sm text-slate-700">
        As indexed: each chunk is one point in the vector index, cut from its section, with its
        character offsets into the document.
      </p>
      <ol aria-label="Chunks" className="flex flex-col gap-3">
        {shown.map((chunk) => (
          <li key={chunk.index} className="rounded-md border border-slate-200 p-3">
            <h3 className="text-sm font-semibold">
              Chunk {chunk.index + 1}
              <span className="font-normal text-slate-700">
                {" · "}
                {titles.get(chunk.section_id) ?? chunk.section_id}
                {chunk.page != null && ` · page ${chunk.page}`}
                {` · characters ${NUMBER.format(chunk.start)}–${NUMBER.format(chunk.end)}`}
              </span>
            </h3>
            <p className="break-all font-mono text-xs text-slate-700">point {chunk.point_id}</p>
            {/* Document text is untrusted: rendered as text, never as markup. */}
            <p className="mt-1 whitespace-pre-wrap break-words text-sm">{chunk.text}</p>
          </li>
        ))}
      </ol>
      {!all && doc.chunks.length > FIRST_CHUNKS && (
        <button type="button" className="btn-secondary self-start" onClick={() => setAll(true)}>
          Show all {NUMBER.format(doc.chunks.length)} chunks
        </button>
      )}
    </Section>
  );
}

/** Delete with a confirmation step; the question takes the focus, on "Keep it". */
function DeleteDocument({ doc, onDeleted }: { doc: AdminDocumentDetail; onDeleted: () => void }) {
  const remove = useDeleteDocument();
  const [asking, setAsking] = useState(false);
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) keep.current?.focus();
  }, [asking]);
  const confirm = async () => {
    const done = await remove
      .mutateAsync(doc.id)
      .then(() => true)
      .catch(() => false);
    if (done) onDeleted();
  };
  return (
    <Section id="delete" title="Delete">
      {!asking ? (
        <button type="button" className="btn-danger self-start" onClick={() => setAsking(true)}>
          Delete document
        </button>
      ) : (
        <div
          role="group"
          aria-labelledby="delete-question"
          className="flex flex-col gap-2 rounded-md border border-red-300 bg-red-50 p-3"
        >
          <p id="delete-question" className="font-semibold text-red-950">
            Delete “{doc.title}”?
          </p>
          <p className="text-sm text-red-950">
            Its {NUMBER.format(doc.chunk_count)} chunks leave the index and answers stop citing it;
            its sections and stored files are deleted. This cannot be undone. The deletion is
            recorded in the audit log.
          </p>
          {remove.error !== null && <ErrorNotice error={remove.error} />}
          <div className="flex flex-wrap gap-2">
            <button
              type="button"
              className="btn-danger"
              disabled={remove.isPending}
              onClick={() => void confirm()}
            >
              {remove.isPending ? "Deleting…" : "Yes, delete it"}
            </button>
            <button
              ref={keep}
              type="button"
              className="btn-secondary"
              onClick={() => {
                remove.reset();
                setAsking(false);
              }}
            >
              Keep it
            </button>
          </div>
        </div>
      )}
    </Section>
  );
}

/** One document as indexed: what it is, its uploaded files, its sections and its chunks. */
export function DocumentView() {
  const id = useSearchParams().get("id");
  const [deleted, setDeleted] = useState<string | null>(null);
  const detail = useAdminDocument(deleted === null ? id : null);
  const doc = detail.data;

  return (
    <div className="mx-auto flex w-full max-w-6xl flex-col gap-4 px-3 py-6 sm:px-4">
      <h1 className="break-words text-2xl font-semibold">{deleted ?? doc?.title ?? "Document"}</h1>
      <AdminNav />
      <Link href={ADMIN_KNOWLEDGE_HREF} className="self-start text-teal-900 underline">
        Back to the knowledge base
      </Link>
      {!id && (
        <ErrorNotice
          error={null}
          title="No document id"
          detail="Open a document from the knowledge base's documents."
        />
      )}
      {deleted !== null && (
        <p role="status" className="rounded-md border border-teal-300 bg-teal-50 p-3">
          Deleted: “{deleted}” is no longer in the knowledge base.
        </p>
      )}
      {deleted === null && detail.isPending && id && <p role="status">Loading…</p>}
      {deleted === null && detail.error && (
        <ErrorNotice error={detail.error} onRetry={() => void detail.refetch()} />
      )}
      {deleted === null && doc && (
        <>
          <Section id="about" title="About this document">
            <Facts doc={doc} />
          </Section>
          {doc.uploads.length > 0 && (
            <Section id="uploads" title="Uploaded files">
              <ul className="flex flex-col gap-1 text-sm">
                {doc.uploads.map((u) => (
                  <li key={u.id} className="break-words">
                    <span className="font-medium">{u.file_name}</span> ({u.kind},{" "}
                    {NUMBER.format(u.size_bytes)} bytes, {when(u.created_at)}):{" "}
                    {fileStatusName(u.status)}
                    {u.error && <span className="text-red-800"> — {u.error}</span>}
                  </li>
                ))}
              </ul>
            </Section>
          )}
          <Section id="sections" title={`Sections (${NUMBER.format(doc.sections.length)})`}>
            <ol aria-label="Sections" className="flex list-decimal flex-col gap-1 pl-6 text-sm">
              {doc.sections.map((s) => (
                <li key={s.id} className="break-words">
                  <span className="font-medium">{s.title}</span>
                  <span className="text-slate-700">
                    {s.page != null && ` · page ${s.page}`}
                    {s.code && ` · code ${s.code}`}
                    {` · characters ${NUMBER.format(s.start)}–${NUMBER.format(s.end)}`}
                  </span>
                </li>
              ))}
            </ol>
          </Section>
          <Chunks doc={doc} />
          <DeleteDocument doc={doc} onDeleted={() => setDeleted(doc.title || doc.id)} />
        </>
      )}
    </div>
  );
}
