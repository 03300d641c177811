"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { acceptInvitation } from "@/lib/api/account";
import { ApiError } from "@/lib/api/problem";
import { useSetAuthState } from "@/lib/auth";

import { PasswordRules } from "./PasswordRules";

/** Accept an invitation an administrator sent: choose a password, then sign in. */
export function InviteScreen() {
  const params = useSearchParams();
  const router = useRouter();
  const token = params.get("token") ?? "";
  const setAuth = useSetAuthState();
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const state = await acceptInvitation(token, password);
      setAuth(state);
      router.replace(state.status === "mfa_enrollment_required" ? "/account/2fa" : "/chat");
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const problem = error instanceof ApiError ? error : null;
  const passwordError = problem?.field === "password" ? problem.detail : null;

  return (
    <div className="mx-auto flex w-full max-w-md flex-col gap-5 px-3 py-8 sm:px-4">
      <h1 className="text-2xl font-semibold">Accept your invitation</h1>
      {!token ? (
        <ErrorNotice
          error={null}
          title="This invitation link is incomplete"
          detail="Open the full link you were sent, or ask your administrator for a new one."
        >
          <Link href="/signin" className="btn-secondary">
            Go to sign in
          </Link>
        </ErrorNotice>
      ) : (
        <form className="card flex flex-col gap-4" onSubmit={submit} noValidate>
          <p className="text-slate-700">
            An administrator invited you to Lumen. Choose a password to finish your account.
          </p>
          <Field
            label="Password"
            type="password"
            autoComplete="new-password"
            required
            value={password}
            error={passwordError}
            hint={<PasswordRules />}
            onChange={(e) => setPassword(e.target.value)}
          />
          {error !== null && !passwordError && <ErrorNotice error={error} />}
          <button type="submit" className="btn-primary" disabled={busy}>
            {busy ? "Saving…" : "Set password and sign in"}
          </button>
        </form>
      )}
    </div>
  );
}
