"use client";

import { useState, type FormEvent } from "react";

import { when } from "@/components/format";
import { Section } from "@/components/Section";
import { CopyButton } from "@/components/CopyButton";
import { DataTable } from "@/components/DataTable";
import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { useAdminUsers, useInviteUser, useUpdateUser, type UserFilter } from "@/lib/api/admin";
import type { AdminUser, Role } from "@/lib/api/types";
import { useAuth } from "@/lib/auth";

import { Pager } from "./Pager";

const ROLES: Role[] = ["patient", "pharma", "admin"];
const PAGE = 50;

function InviteForm() {
  const invite = useInviteUser();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("pharma");
  const [link, setLink] = useState<{ url: string; email: string; expires: string } | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setLink(null);
    const result = await invite.mutateAsync({ email: email.trim(), role }).catch(() => null);
    if (result) {
      setLink({
        url: `${window.location.origin}${result.invitation_path}`,
        email: result.user.email,
        expires: result.expires_at,
      });
      setEmail("");
    }
  };

  return (
    <Section id="invite" title="Invite someone">
      <form className="flex flex-wrap items-end gap-3" onSubmit={submit}>
        <Field
          label="Email to invite"
          type="email"
          required
          className="min-w-0 grow basis-56"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <div className="flex flex-col gap-1">
          <label htmlFor="invite-role" className="text-sm font-semibold">
            Role
          </label>
          <select
            id="invite-role"
            className="field"
            value={role}
            onChange={(e) => setRole(e.target.value as Role)}
          >
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </div>
        <button type="submit" className="btn-primary" disabled={invite.isPending}>
          Create invitation
        </button>
      </form>
      {invite.error && <ErrorNotice error={invite.error} />}
      {link && (
        <div role="status" className="rounded-md border border-teal-300 bg-teal-50 p-3">
          <p>
            Send this link to {link.email}. It works once, until {when(link.expires)}. Lumen sends
            no e-mail.
          </p>
          <Field label="Invitation link" readOnly value={link.url} className="mt-2" />
          <div className="mt-2">
            <CopyButton text={link.url} label="Copy link" />
          </div>
        </div>
      )}
    </Section>
  );
}

function UserRow({ user, self }: { user: AdminUser; self: boolean }) {
  const update = useUpdateUser();
  const [message, setMessage] = useState<string | null>(null);
  const change = async (body: { role?: Role; disabled?: boolean }, done: string) => {
    setMessage(null);
    const result = await update.mutateAsync({ id: user.id, ...body }).catch(() => null);
    if (result) setMessage(done);
  };
  return (
    <tr className="border-b border-slate-200 align-top">
      <td className="break-all py-2 pr-3">{user.email}</td>
      <td className="py-2 pr-3">
        <label className="sr-only" htmlFor={`role-${user.id}`}>
          Role of {user.email}
        </label>
        <select
          id={`role-${user.id}`}
          className="field py-1"
          value={user.role}
          disabled={self || update.isPending}
          onChange={(e) =>
            void change({ role: e.target.value as Role }, `${user.email} is now ${e.target.value}.`)
          }
        >
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </td>
      <td className="py-2 pr-3">{user.status}</td>
      <td className="py-2 pr-3">{user.totp_enabled ? "on" : "off"}</td>
      <td className="py-2 pr-3">{when(user.last_sign_in_at)}</td>
      <td className="py-2">
        {!self && user.status !== "invited" && (
          <button
            type="button"
            className="btn-secondary"
            aria-label={`${user.status === "disabled" ? "Enable" : "Disable"} ${user.email}`}
            disabled={update.isPending}
            onClick={() =>
              void change(
                { disabled: user.status !== "disabled" },
                `${user.email} is ${user.status === "disabled" ? "enabled" : "disabled"}.`,
              )
            }
          >
            {user.status === "disabled" ? "Enable" : "Disable"}
          </button>
        )}
        <div role="status" className="text-sm text-teal-900">
          {message}
        </div>
        {update.error && <ErrorNotice error={update.error} />}
      </td>
    </tr>
  );
}

export function UsersScreen() {
  const { user: me } = useAuth();
  const [q, setQ] = useState("");
  const [role, setRole] = useState<Role | "">("");
  const [filter, setFilter] = useState<UserFilter>({ q: "", role: "", limit: PAGE, offset: 0 });
  const users = useAdminUsers(filter);
  const total = users.data?.total ?? 0;

  return (
    <div className="flex flex-col gap-4">
      <InviteForm />
      <Section id="users" title="Users">
        <form
          role="search"
          aria-label="Users"
          className="flex flex-wrap items-end gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter({ q: q.trim(), role, limit: PAGE, offset: 0 });
          }}
        >
          <Field
            label="Search by email"
            type="search"
            className="min-w-0 grow basis-56"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
          <div className="flex flex-col gap-1">
            <label htmlFor="role-filter" className="text-sm font-semibold">
              Role filter
            </label>
            <select
              id="role-filter"
              className="field"
              value={role}
              onChange={(e) => setRole(e.target.value as Role | "")}
            >
              <option value="">All roles</option>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </div>
          <button type="submit" className="btn-primary">
            Search
          </button>
        </form>
        {users.error && <ErrorNotice error={users.error} onRetry={() => void users.refetch()} />}
        {users.data && (
          <>
            <p role="status" className="text-sm text-slate-700">
              {users.isPlaceholderData
                ? "Loading users…"
                : total === 0
                  ? "No users match."
                  : `${filter.offset + 1}–${filter.offset + users.data.items.length} of ${total} users`}
            </p>
            <DataTable
              caption="Users"
              columns={["Email", "Role", "Status", "2FA", "Last sign-in", "Actions"]}
              widthClass="min-w-[40rem]"
              busy={users.isFetching}
            >
              {users.data.items.map((u) => (
                <UserRow key={u.id} user={u} self={u.id === me?.id} />
              ))}
            </DataTable>
            <Pager
              offset={filter.offset}
              limit={PAGE}
              total={total}
              onOffset={(offset) => setFilter({ ...filter, offset })}
            />
          </>
        )}
      </Section>
    </div>
  );
}
