"use client";

import { useState } from "react";

import { PasswordField } from "@/components/auth/PasswordField";
import { DataTable } from "@/components/DataTable";
import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { SubmitRow } from "@/components/SubmitRow";
import { deleteAccount, useAccessEvents } from "@/lib/api/account";
import { fieldError } from "@/lib/api/problem";
import type { AuthUser } from "@/lib/api/types";
import { useFormAction } from "@/lib/form-action";
import { chatHref } from "@/lib/routes";

import { when } from "@/components/format";
import { Section } from "@/components/Section";

export function AccessEventsSection() {
  const events = useAccessEvents();
  return (
    <Section id="access" title="Administrator access to your conversations">
      <p className="text-sm text-slate-700">
        An administrator can open a conversation in an emergency (&ldquo;break glass&rdquo;). Each
        time, the reason is recorded and listed here.
      </p>
      {events.isPending && <p role="status">Loading…</p>}
      {events.error && <ErrorNotice error={events.error} onRetry={() => void events.refetch()} />}
      {events.data && events.data.items.length === 0 && (
        <p className="text-sm">No administrator has opened your conversations.</p>
      )}
      {events.data && events.data.items.length > 0 && (
        <DataTable
          caption="Break-glass accesses"
          columns={["When", "Conversation", "Reason", "Access ends"]}
          widthClass="min-w-0"
        >
          {events.data.items.map((e) => (
            <tr key={e.id} className="border-b border-slate-200 align-top">
              <td className="py-1 pr-3">{when(e.created_at)}</td>
              <td className="py-1 pr-3">
                <a className="text-teal-800 underline" href={chatHref(e.conversation_id)}>
                  Open
                  <span className="sr-only"> conversation {e.conversation_id}</span>
                </a>
              </td>
              <td className="py-1 pr-3">{e.reason}</td>
              <td className="py-1">{when(e.expires_at)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </Section>
  );
}

export function DataSection({ user }: { user: AuthUser }) {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const { busy, error, submit } = useFormAction();
  const passwordError = fieldError(error, "password");

  return (
    <Section id="data" title="Your data">
      <p className="text-sm text-slate-700">
        Download everything Lumen keeps about you: your account, conversations and the administrator
        accesses to them, as one JSON file.
      </p>
      <a
        href="/api/v1/account/export"
        download="lumen-my-data.json"
        className="btn-secondary self-start"
      >
        Download my data
      </a>
      {!open ? (
        <button type="button" className="btn-danger self-start" onClick={() => setOpen(true)}>
          Delete my account
        </button>
      ) : (
        <form
          className="flex flex-col gap-3 rounded-md border border-red-300 p-3"
          onSubmit={(e) =>
            submit(e, async () => {
              await deleteAccount(user.sso ? { confirm: "DELETE" } : { password });
              window.location.assign("/signin?deleted=1");
            })
          }
        >
          <p className="text-sm">
            This deletes your account, your conversations and your sessions for good. The audit log
            keeps a record that the account existed.
          </p>
          {user.sso ? (
            <Field
              label='Type "DELETE" to confirm'
              required
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          ) : (
            <PasswordField
              label="Your password, to confirm"
              value={password}
              error={passwordError}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
          <SubmitRow
            error={passwordError === null ? error : null}
            busy={busy}
            label="Delete my account permanently"
            danger
            disabled={user.sso && confirm !== "DELETE"}
            onCancel={() => setOpen(false)}
          />
        </form>
      )}
    </Section>
  );
}
