"use client";

import { ErrorNotice } from "@/components/ErrorNotice";
import { logoutAll, useEndSession, useSessions } from "@/lib/api/account";
import type { SessionItem } from "@/lib/api/types";
import { useFormAction } from "@/lib/form-action";

import { when } from "@/components/format";
import { Section } from "@/components/Section";

/** A short, readable name of a browser from its User-Agent. */
function device(ua: string | null | undefined): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chromium"
        : /Safari\//.test(ua)
          ? "Safari"
          : null;
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : null;
  return [browser, os].filter(Boolean).join(" on ") || ua.slice(0, 40);
}

export function SessionsSection() {
  const sessions = useSessions();
  const end = useEndSession();
  const { error, run } = useFormAction();

  // A full page load drops everything of this user kept in memory.
  const signedOut = () => window.location.assign("/signin");

  const endOne = (s: SessionItem) =>
    run(async () => {
      await end.mutateAsync(s.id);
      if (s.current) signedOut();
    });

  const endAll = () =>
    run(async () => {
      await logoutAll();
      signedOut();
    });

  return (
    <Section id="sessions" title="Where you are signed in">
      {sessions.isPending && <p role="status">Loading sessions…</p>}
      {sessions.error && (
        <ErrorNotice error={sessions.error} onRetry={() => void sessions.refetch()} />
      )}
      {sessions.data && (
        <ul aria-label="Sessions" className="flex flex-col divide-y divide-slate-200">
          {sessions.data.items.map((s) => {
            const name = `${device(s.user_agent)}${s.current ? " (this device)" : ""}`;
            return (
              <li key={s.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
                <div className="text-sm">
                  <p className="font-semibold">{name}</p>
                  <p className="text-slate-700">
                    {s.ip ?? "unknown address"} · signed in {when(s.created_at)} · last active{" "}
                    {when(s.last_seen_at)}
                  </p>
                </div>
                <button
                  type="button"
                  className="btn-secondary"
                  aria-label={`Sign out ${name}, signed in ${when(s.created_at)}`}
                  onClick={() => void endOne(s)}
                  disabled={end.isPending}
                >
                  Sign out
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {error !== null && <ErrorNotice error={error} />}
      <button type="button" className="btn-danger self-start" onClick={() => void endAll()}>
        Sign out everywhere
      </button>
    </Section>
  );
}
