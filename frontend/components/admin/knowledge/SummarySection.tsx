"use client";

import { ErrorNotice } from "@/components/ErrorNotice";
import { when } from "@/components/format";
import { Section } from "@/components/Section";
import { useKnowledgeSummary } from "@/lib/api/knowledge";
import type { KnowledgeCount } from "@/lib/api/types";

import { collectionName, NUMBER, sourceName } from "./names";
import { DataTable } from "@/components/DataTable";

function CountTable({
  caption,
  heading,
  rows,
  nameOf,
}: {
  caption: string;
  heading: string;
  rows: KnowledgeCount[];
  nameOf: (name: string) => string;
}) {
  return (
    <DataTable
      caption={caption}
      captionVisible
      columns={[heading, "Documents", "Chunks", "Still indexing", "Last updated"]}
      widthClass="min-w-[30rem]"
    >
      {rows.length === 0 && (
        <tr>
          <td colSpan={5} className="py-2 text-slate-700">
            Nothing indexed yet.
          </td>
        </tr>
      )}
      {rows.map((row) => (
        <tr key={row.name} className="border-b border-slate-200 align-top">
          <th scope="row" className="py-1 pr-3 font-normal">
            {nameOf(row.name)} <span className="font-mono text-xs text-slate-700">{row.name}</span>
          </th>
          <td className="py-1 pr-3 tabular-nums">{NUMBER.format(row.documents)}</td>
          <td className="py-1 pr-3 tabular-nums">{NUMBER.format(row.chunks)}</td>
          <td className="py-1 pr-3 tabular-nums">{NUMBER.format(row.indexing)}</td>
          <td className="whitespace-nowrap py-1 pr-3">{when(row.last_updated_at)}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** Documents and chunks per source and per collection. */
export function SummarySection() {
  const summary = useKnowledgeSummary();
  return (
    <Section id="knowledge-summary" title="Sources and collections">
      {summary.isPending && (
        <p role="status" className="text-sm text-slate-700">
          Loading counts…
        </p>
      )}
      {summary.error && (
        <ErrorNotice error={summary.error} onRetry={() => void summary.refetch()} />
      )}
      {summary.data && (
        <>
          <p className="text-sm text-slate-700">
            {NUMBER.format(summary.data.documents)} documents in{" "}
            {NUMBER.format(summary.data.chunks)} indexed chunks.
          </p>
          <div className="grid gap-4 2xl:grid-cols-2">
            <CountTable
              caption="By source"
              heading="Source"
              rows={summary.data.sources}
              nameOf={sourceName}
            />
            <CountTable
              caption="By collection"
              heading="Collection"
              rows={summary.data.collections}
              nameOf={collectionName}
            />
          </div>
        </>
      )}
    </Section>
  );
}
