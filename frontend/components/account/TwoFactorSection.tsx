"use client";

import Link from "next/link";
import { useState } from "react";

import { CodeField } from "@/components/auth/CodeField";
import { PasswordField } from "@/components/auth/PasswordField";
import { SubmitRow } from "@/components/SubmitRow";
import { disableTotp, regenerateRecoveryCodes } from "@/lib/api/account";
import type { AuthUser } from "@/lib/api/types";
import { useAuth } from "@/lib/auth";
import { useFormAction } from "@/lib/form-action";

import { RecoveryCodes } from "./RecoveryCodes";
import { Section } from "@/components/Section";

export function TwoFactorSection({ user }: { user: AuthUser }) {
  const { refetch } = useAuth();
  const [mode, setMode] = useState<"idle" | "codes" | "disable">("idle");
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, clearError, submit } = useFormAction();
  const [codes, setCodes] = useState<string[] | null>(null);

  const reset = (m: typeof mode) => {
    setMode(m);
    setCode("");
    setPassword("");
    clearError();
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
            submit(e, async () => {
              const result = await regenerateRecoveryCodes(code.replace(/\s/g, ""));
              setCodes(result.recovery_codes);
              reset("idle");
            })
          }
        >
          <p className="text-sm text-slate-700">
            New codes replace the old ones, which stop working.
          </p>
          <CodeField
            label="Code from your app"
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <SubmitRow
            error={error}
            busy={busy}
            label="Make new recovery codes"
            onCancel={() => reset("idle")}
          />
        </form>
      )}
      {mode === "disable" && (
        <form
          className="flex flex-col gap-3"
          onSubmit={(e) =>
            submit(e, async () => {
              await disableTotp(password, code.replace(/\s/g, ""));
              setCodes(null);
              reset("idle");
              await refetch();
            })
          }
        >
          <PasswordField
            label="Password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <CodeField
            label="Code from your app"
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <SubmitRow
            error={error}
            busy={busy}
            label="Turn off"
            danger
            onCancel={() => reset("idle")}
          />
        </form>
      )}
    </Section>
  );
}
