"use client";

import { useState, type FormEvent } from "react";

import { CopyButton } from "@/components/CopyButton";
import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { SubmitRow } from "@/components/SubmitRow";
import { useCreateToken, useRevokeToken, useTokens } from "@/lib/api/account";
import type { TokenScope } from "@/lib/api/types";

import { when } from "@/components/format";
import { Section } from "@/components/Section";

const SCOPES: { value: TokenScope; label: string }[] = [
  { value: "search", label: "search: GET /api/v1/search" },
  { value: "drugs", label: "drugs: drug labels and documents" },
];

/** API tokens of a pharma account: made here, shown once, revoked here. */
export function TokensSection() {
  const tokens = useTokens(true);
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<TokenScope[]>(["search"]);
  const [days, setDays] = useState("90");
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSecret(null);
    const created = await create
      .mutateAsync({ name: name.trim(), scopes, expires_in_days: Number(days) })
      .catch(() => null);
    if (created) {
      setSecret({ name: created.item.name, token: created.token });
      setName("");
    }
  };

  const toggle = (scope: TokenScope, on: boolean) =>
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));

  return (
    <Section id="tokens" title="API tokens">
      <p className="text-sm text-slate-700">
        Tokens let your programs call Lumen&rsquo;s API with{" "}
        <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      <form className="flex flex-col gap-3" onSubmit={submit}>
        <Field
          label="Token name"
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <fieldset className="flex flex-col gap-1">
          <legend className="text-sm font-semibold text-slate-800">Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s.value} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={scopes.includes(s.value)}
                onChange={(e) => toggle(s.value, e.target.checked)}
              />
              {s.label}
            </label>
          ))}
        </fieldset>
        <Field
          label="Expires in (days)"
          type="number"
          min={1}
          max={365}
          required
          value={days}
          onChange={(e) => setDays(e.target.value)}
        />
        <SubmitRow
          error={create.error}
          busy={create.isPending}
          label="Create token"
          disabled={scopes.length === 0 || !name.trim()}
          start
        />
      </form>
      {secret && (
        <div role="status" className="rounded-md border border-teal-300 bg-teal-50 p-3">
          <p className="font-semibold">
            Token “{secret.name}” created. Copy it now: it is shown once.
          </p>
          <Field label="New token" readOnly value={secret.token} className="mt-2 font-mono" />
          <div className="mt-2">
            <CopyButton text={secret.token} label="Copy token" />
          </div>
        </div>
      )}
      {tokens.error && <ErrorNotice error={tokens.error} onRetry={() => void tokens.refetch()} />}
      {revoke.error && <ErrorNotice error={revoke.error} />}
      {tokens.data && tokens.data.items.length === 0 && (
        <p className="text-sm text-slate-700">No tokens yet.</p>
      )}
      {tokens.data && tokens.data.items.length > 0 && (
        <ul aria-label="Tokens" className="flex flex-col divide-y divide-slate-200">
          {tokens.data.items.map((t) => (
            <li key={t.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <div className="text-sm">
                <p className="font-semibold">
                  {t.name} <code className="font-normal">{t.prefix}…</code>
                </p>
                <p className="text-slate-700">
                  {t.scopes.join(", ")} · expires {when(t.expires_at)} · last used{" "}
                  {when(t.last_used_at)}
                  {t.revoked_at && ` · revoked ${when(t.revoked_at)}`}
                </p>
              </div>
              {t.revoked_at ? (
                <span className="text-sm font-semibold text-slate-700">Revoked</span>
              ) : (
                <button
                  type="button"
                  className="btn-secondary"
                  aria-label={`Revoke ${t.name}`}
                  disabled={revoke.isPending}
                  onClick={() => revoke.mutate(t.id)}
                >
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
