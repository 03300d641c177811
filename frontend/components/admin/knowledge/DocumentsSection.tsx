"use client";

import Link from "next/link";
import { useState } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { when } from "@/components/format";
import { Section } from "@/components/Section";
import {
  COLLECTIONS,
  EMPTY_DOCUMENT_FILTER,
  SOURCES,
  useKnowledgeDocuments,
  type DocumentFilter,
} from "@/lib/api/knowledge";
import { fieldError } from "@/lib/api/problem";
import type { Collection, DocumentSource } from "@/lib/api/types";
import { adminDocumentHref } from "@/lib/routes";

import { Pager } from "../Pager";
import { collectionName, NUMBER, sourceName } from "./names";
import { DataTable } from "@/components/DataTable";

const PAGE = 25;

/** The start of a day picked in a date input (the browser's time zone), as an ISO instant;
 * `days` later for the end of a range (the API's `updated_until` is exclusive). */
function dayStart(day: string, days = 0): string {
  if (!day) return "";
  const d = new Date(`${day}T00:00`);
  if (Number.isNaN(d.getTime())) return "";
  d.setDate(d.getDate() + days);
  return d.toISOString();
}

type Draft = {
  q: string;
  collection: Collection | "";
  source: DocumentSource | "";
  from: string;
  until: string;
};
const EMPTY_DRAFT: Draft = { q: "", collection: "", source: "", from: "", until: "" };

/** Every document of every source: search, filters and pages; each opens as indexed. */
export function DocumentsSection() {
  const [draft, setDraft] = useState<Draft>(EMPTY_DRAFT);
  const [filter, setFilter] = useState<DocumentFilter>(EMPTY_DOCUMENT_FILTER);
  const [offset, setOffset] = useState(0);
  const documents = useKnowledgeDocuments(filter, PAGE, offset);
  const total = documents.data?.total ?? 0;
  const untilError = fieldError(documents.error, "updated_until");

  return (
    <Section id="documents" title="Documents">
      <form
        role="search"
        aria-label="Documents"
        className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({
            q: draft.q.trim(),
            collection: draft.collection,
            source: draft.source,
            updated_from: dayStart(draft.from),
            updated_until: dayStart(draft.until, 1),
          });
          setOffset(0);
        }}
      >
        <Field
          label="Search title or id"
          type="search"
          className="sm:col-span-2 lg:col-span-1"
          value={draft.q}
          onChange={(e) => setDraft({ ...draft, q: e.target.value })}
        />
        <div className="flex flex-col gap-1">
          <label htmlFor="documents-collection" className="text-sm font-semibold">
            Collection filter
          </label>
          <select
            id="documents-collection"
            className="field"
            value={draft.collection}
            onChange={(e) => setDraft({ ...draft, collection: e.target.value as Collection | "" })}
          >
            <option value="">All collections</option>
            {COLLECTIONS.map((c) => (
              <option key={c} value={c}>
                {collectionName(c)}
              </option>
            ))}
          </select>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="documents-source" className="text-sm font-semibold">
            Source filter
          </label>
          <select
            id="documents-source"
            className="field"
            value={draft.source}
            onChange={(e) => setDraft({ ...draft, source: e.target.value as DocumentSource | "" })}
          >
            <option value="">All sources</option>
            {SOURCES.map((s) => (
              <option key={s} value={s}>
                {sourceName(s)}
              </option>
            ))}
          </select>
        </div>
        <Field
          label="Updated from"
          type="date"
          value={draft.from}
          onChange={(e) => setDraft({ ...draft, from: e.target.value })}
        />
        <Field
          label="Updated until"
          type="date"
          value={draft.until}
          error={untilError}
          onChange={(e) => setDraft({ ...draft, until: e.target.value })}
        />
        <div className="flex flex-wrap items-end gap-2">
          <button type="submit" className="btn-primary">
            Search
          </button>
          <button
            type="button"
            className="btn-secondary"
            onClick={() => {
              setDraft(EMPTY_DRAFT);
              setFilter(EMPTY_DOCUMENT_FILTER);
              setOffset(0);
            }}
          >
            Clear filters
          </button>
        </div>
      </form>
      {documents.error && !untilError && (
        <ErrorNotice error={documents.error} onRetry={() => void documents.refetch()} />
      )}
      {documents.data && (
        <>
          <p role="status" className="text-sm text-slate-700">
            {documents.isPlaceholderData
              ? "Loading documents…"
              : total === 0
                ? "No documents match."
                : `${NUMBER.format(offset + 1)}–${NUMBER.format(offset + documents.data.items.length)} of ${NUMBER.format(total)} documents`}
          </p>
          <DataTable
            caption="Documents"
            columns={["Title", "Source", "Collection", "Chunks", "Status", "Updated"]}
            widthClass="min-w-[48rem]"
            busy={documents.isFetching}
          >
            {documents.data.items.map((d) => (
              <tr key={d.id} className="border-b border-slate-200 align-top">
                <td className="py-1 pr-3">
                  <Link
                    href={adminDocumentHref(d.id)}
                    className="font-medium text-teal-900 underline"
                  >
                    {d.title || d.id}
                  </Link>
                  <div className="break-all font-mono text-xs text-slate-700">{d.id}</div>
                </td>
                <td className="py-1 pr-3">{d.source_name || sourceName(d.source)}</td>
                <td className="py-1 pr-3">{collectionName(d.collection)}</td>
                <td className="py-1 pr-3 tabular-nums">{NUMBER.format(d.chunk_count)}</td>
                <td className="py-1 pr-3">{d.status}</td>
                <td className="whitespace-nowrap py-1 pr-3">{when(d.updated_at)}</td>
              </tr>
            ))}
          </DataTable>
          <Pager offset={offset} limit={PAGE} total={total} onOffset={setOffset} />
        </>
      )}
    </Section>
  );
}
