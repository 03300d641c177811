"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { when } from "@/components/format";
import { Section } from "@/components/Section";
import { DataTable } from "@/components/DataTable";
import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { SubmitRow } from "@/components/SubmitRow";
import {
  auditQuery,
  EMPTY_AUDIT_FILTER,
  openBreakGlass,
  useAudit,
  useAuditActions,
  verifyAudit,
  type AuditFilter,
} from "@/lib/api/admin";
import { fieldError } from "@/lib/api/problem";
import type { AuditVerification } from "@/lib/api/types";
import { useFormAction } from "@/lib/form-action";

import { Pager } from "./Pager";

const PAGE_SIZES = [10, 25, 50, 100];

/** A datetime-local value (the browser's local time) as ISO 8601 with its offset. */
function toIso(local: string): string {
  if (!local) return "";
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

function VerifyChain() {
  const [result, setResult] = useState<AuditVerification | null>(null);
  const { busy, error, run } = useFormAction();
  const verify = () =>
    run(async () => {
      setResult(null);
      setResult(await verifyAudit());
    });
  return (
    <div className="flex flex-col gap-2">
      <button type="button" className="btn-secondary self-start" onClick={verify} disabled={busy}>
        {busy ? "Verifying…" : "Verify chain"}
      </button>
      <div role="status">
        {result &&
          (result.ok ? (
            <p className="rounded-md border border-teal-300 bg-teal-50 p-2 text-sm">
              Chain intact: {result.entries_checked} entries checked, every hash matches the
              chain and its signed checkpoints.
            </p>
          ) : (
            <p className="rounded-md border border-red-300 bg-red-50 p-2 text-sm text-red-900">
              Chain broken
              {result.first_broken_seq !== null && ` at entry #${result.first_broken_seq}`}
              {result.problem ? `: ${result.problem}` : ""} ({result.entries_checked} entries
              checked).
            </p>
          ))}
      </div>
      {error !== null && <ErrorNotice error={error} />}
    </div>
  );
}

function BreakGlassForm() {
  const router = useRouter();
  const [conversationId, setConversationId] = useState("");
  const [reason, setReason] = useState("");
  // Busy until the grant's page is shown.
  const { busy, error, submit } = useFormAction({ staysBusy: true });
  return (
    <Section id="break-glass" title="Break glass: read a conversation">
      <p className="text-sm text-slate-700">
        For emergencies only. The access is recorded in this log with your reason, and the user sees
        it on their account page.
      </p>
      <form
        className="flex flex-col gap-3"
        onSubmit={(e) =>
          submit(e, async () => {
            const grant = await openBreakGlass(conversationId.trim(), reason.trim());
            router.push(
              `/admin/conversation?${new URLSearchParams({ grant: grant.id }).toString()}`,
            );
          })
        }
        noValidate
      >
        <Field
          label="Conversation id"
          required
          spellCheck={false}
          value={conversationId}
          error={fieldError(error, "conversation_id")}
          onChange={(e) => setConversationId(e.target.value)}
        />
        <div className="flex flex-col gap-1">
          <label htmlFor="break-glass-reason" className="text-sm font-semibold">
            Reason (at least 20 characters)
          </label>
          <textarea
            id="break-glass-reason"
            className="field"
            rows={2}
            required
            minLength={20}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
        </div>
        <SubmitRow
          error={error}
          busy={busy}
          label="Open conversation read-only"
          danger
          disabled={!conversationId.trim() || reason.trim().length < 20}
          start
        />
      </form>
    </Section>
  );
}

export function AuditScreen() {
  const [draft, setDraft] = useState(EMPTY_AUDIT_FILTER);
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [filter, setFilter] = useState<AuditFilter>(EMPTY_AUDIT_FILTER);
  const [limit, setLimit] = useState(50);
  const [offset, setOffset] = useState(0);
  const actions = useAuditActions();
  const audit = useAudit(filter, limit, offset);
  const total = audit.data?.total ?? 0;
  const exportHref = (format: "csv" | "json") =>
    `/api/v1/admin/audit/export?${new URLSearchParams({ format, ...auditQuery(filter) }).toString()}`;

  const set = (key: keyof AuditFilter) => (value: string) => setDraft({ ...draft, [key]: value });

  return (
    <div className="flex flex-col gap-4">
      <Section id="audit-filter" title="Filter">
        <form
          className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter({ ...draft, since: toIso(since), until: toIso(until) });
            setOffset(0);
          }}
        >
          <Field
            label="Actor (e-mail or user id)"
            spellCheck={false}
            value={draft.actor_id}
            onChange={(e) => set("actor_id")(e.target.value)}
          />
          <div className="flex flex-col gap-1">
            <label htmlFor="audit-action" className="text-sm font-semibold">
              Action
            </label>
            <select
              id="audit-action"
              className="field"
              value={draft.action}
              onChange={(e) => set("action")(e.target.value)}
            >
              <option value="">All actions</option>
              {actions.data?.items.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          </div>
          <Field
            label="Object type"
            value={draft.object_type}
            onChange={(e) => set("object_type")(e.target.value)}
          />
          <Field
            label="Object id"
            spellCheck={false}
            value={draft.object_id}
            onChange={(e) => set("object_id")(e.target.value)}
          />
          <Field
            label="From"
            type="datetime-local"
            value={since}
            onChange={(e) => setSince(e.target.value)}
          />
          <Field
            label="Until"
            type="datetime-local"
            value={until}
            onChange={(e) => setUntil(e.target.value)}
          />
          <div className="flex flex-wrap items-end gap-2 sm:col-span-2 lg:col-span-3">
            <button type="submit" className="btn-primary">
              Apply filters
            </button>
            <button
              type="button"
              className="btn-secondary"
              onClick={() => {
                setDraft(EMPTY_AUDIT_FILTER);
                setSince("");
                setUntil("");
                setFilter(EMPTY_AUDIT_FILTER);
                setOffset(0);
              }}
            >
              Clear filters
            </button>
          </div>
        </form>
      </Section>

      <Section id="audit-log" title="Entries">
        <div className="flex flex-wrap items-start justify-between gap-3">
          <VerifyChain />
          <div className="flex flex-wrap gap-2">
            <a className="btn-secondary" href={exportHref("csv")} download>
              Export CSV
            </a>
            <a className="btn-secondary" href={exportHref("json")} download>
              Export JSON
            </a>
          </div>
        </div>
        {audit.error && <ErrorNotice error={audit.error} onRetry={() => void audit.refetch()} />}
        {audit.data && (
          <>
            <div className="flex flex-wrap items-center justify-between gap-2">
              <p role="status" className="text-sm text-slate-700">
                {audit.isPlaceholderData
                  ? "Loading entries…"
                  : total === 0
                    ? "No entries match."
                    : `Entries ${offset + 1}–${offset + audit.data.items.length} of ${total}`}
              </p>
              <div className="flex items-center gap-2">
                <label htmlFor="audit-page-size" className="text-sm font-semibold">
                  Rows per page
                </label>
                <select
                  id="audit-page-size"
                  className="field w-auto py-1"
                  value={limit}
                  onChange={(e) => {
                    setLimit(Number(e.target.value));
                    setOffset(0);
                  }}
                >
                  {PAGE_SIZES.map((n) => (
                    <option key={n}>{n}</option>
                  ))}
                </select>
              </div>
            </div>
            <DataTable
              caption="Audit log entries"
              columns={["#", "Time", "Actor", "Action", "Object", "Outcome", "Reason", "IP"]}
              widthClass="min-w-[56rem]"
              busy={audit.isFetching}
            >
              {audit.data.items.map((e) => (
                <tr key={e.id} className="border-b border-slate-200 align-top">
                  <td className="py-1 pr-3">
                    {e.seq ?? <span title="Chained within a second">pending</span>}
                  </td>
                  <td className="whitespace-nowrap py-1 pr-3">{when(e.at)}</td>
                  <td className="break-all py-1 pr-3">
                    {e.actor_email ?? e.actor_id ?? "—"}
                    {e.actor_role && <span className="text-slate-700"> ({e.actor_role})</span>}
                  </td>
                  <td className="py-1 pr-3 font-mono">{e.action}</td>
                  <td className="break-all py-1 pr-3">
                    {e.object_type}
                    {e.object_id && ` ${e.object_id}`}
                  </td>
                  <td className="py-1 pr-3">{e.outcome}</td>
                  <td className="py-1 pr-3">{e.reason ?? ""}</td>
                  <td className="py-1 pr-3">{e.ip ?? ""}</td>
                </tr>
              ))}
            </DataTable>
            <Pager offset={offset} limit={limit} total={total} onOffset={setOffset} />
          </>
        )}
      </Section>
      <BreakGlassForm />
    </div>
  );
}
