"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { disableTotp, regenerateRecoveryCodes } from "@/lib/api/account";
import type { AuthUser } from "@/lib/api/types";
import { useAuth } from "@/lib/auth";

import { RecoveryCodes } from "./RecoveryCodes";
import { Section } from "./Section";

export function TwoFactorSection({ user }: { user: AuthUser }) {
  const { refetch } = useAuth();
  const [mode, setMode] = useState<"idle" | "codes" | "disable">("idle");
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [codes, setCodes] = useState<string[] | null>(null);

  const reset = (m: typeof mode) => {
    setMode(m);
    setCode("");
    setPassword("");
    setError(null);
  };

  const run = async (event: FormEvent, action: () => Promise<void>) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!user.totp_enabled) {
    return (
      <Section id="two-factor" title="Two-step verification">
        <p className="text-slate-700">
          Off. With it on, signing in also asks for a code from an app on your phone.
        </p>
        <Link href="/account/2fa" className="btn-primary self-start">
          Set up two-step verification
        </Link>
      </Section>
    );
  }

  return (
    <Section id="two-factor" title="Two-step verification">
      <p className="text-slate-700">
        On. {user.mfa_required && "Your role requires it, so it cannot be turned off."}
      </p>
      {codes && <RecoveryCodes codes={codes} />}
      {mode === "idle" && (
        <div className="flex flex-wrap gap-2">
          <button type="button" className="btn-secondary" onClick={() => reset("codes")}>
            New recovery codes
          </button>
          {!user.mfa_required && (
            <button type="button" className="btn-secondary" onClick={() => reset("disable")}>
              Turn off two-step verification
            </button>
          )}
        </div>
      )}
      {mode === "codes" && (
        <form
          className="flex flex-col gap-3"
          onSubmit={(e) =>
            run(e, async () => {
              const result = await regenerateRecoveryCodes(code.replace(/\s/g, ""));
              setCodes(result.recovery_codes);
              reset("idle");
            })
          }
        >
          <p className="text-sm text-slate-700">
            New codes replace the old ones, which stop working.
          </p>
          <Field
            label="Code from your app"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          {error !== null && <ErrorNotice error={error} />}
          <div className="flex flex-wrap gap-2">
            <button type="submit" className="btn-primary" disabled={busy}>
              Make new recovery codes
            </button>
            <button type="button" className="btn-secondary" onClick={() => reset("idle")}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {mode === "disable" && (
        <form
          className="flex flex-col gap-3"
          onSubmit={(e) =>
            run(e, async () => {
              await disableTotp(password, code.replace(/\s/g, ""));
              setCodes(null);
              reset("idle");
              await refetch();
            })
          }
        >
          <Field
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <Field
            label="Code from your app"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          {error !== null && <ErrorNotice error={error} />}
          <div className="flex flex-wrap gap-2">
            <button type="submit" className="btn-danger" disabled={busy}>
              Turn off
            </button>
            <button type="button" className="btn-secondary" onClick={() => reset("idle")}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Section>
  );
}
