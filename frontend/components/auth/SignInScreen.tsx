"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { SubmitRow } from "@/components/SubmitRow";
import { challenge, login, useProviders } from "@/lib/api/account";
import { safeNext } from "@/lib/api/client";
import { ApiError } from "@/lib/api/problem";
import type { AuthState } from "@/lib/api/types";
import { useAuth, useSetAuthState } from "@/lib/auth";
import { useFormAction } from "@/lib/form-action";

import { CodeField } from "./CodeField";
import { PasswordField } from "./PasswordField";

/** Sign in: email and password, then the 2FA code (or a recovery code) when asked for. */
export function SignInScreen() {
  const params = useSearchParams();
  const router = useRouter();
  const next = safeNext(params.get("next"));
  const auth = useAuth();
  const setAuth = useSetAuthState();
  const providers = useProviders();
  const [step, setStep] = useState<"password" | "code">("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [useRecovery, setUseRecovery] = useState(false);
  const form = useFormAction();
  const { busy, error } = form;

  // A session whose password was given already (e.g. after a reload) continues at the code.
  useEffect(() => {
    if (auth.status === "mfa_required") setStep("code");
  }, [auth.status]);

  const proceed = (state: AuthState) => {
    setAuth(state);
    if (state.status === "signed_in") router.replace(next);
    else if (state.status === "mfa_required") {
      setStep("code");
      setCode("");
    } else router.replace(`/account/2fa?${new URLSearchParams({ next }).toString()}`);
  };

  const submit = (event: FormEvent, action: () => Promise<AuthState>) =>
    form.submit(event, async () => proceed(await action()));

  const oidc = providers.data?.oidc ?? null;
  const problem = params.get("error");

  return (
    <div className="mx-auto flex w-full max-w-md flex-col gap-5 px-3 py-8 sm:px-4">
      <h1 className="text-2xl font-semibold">
        {step === "password" ? "Sign in" : "Two-step verification"}
      </h1>
      {params.get("deleted") && (
        <p role="status" className="rounded-md border border-teal-300 bg-teal-50 p-3 text-sm">
          Your account and your conversations were deleted.
        </p>
      )}
      {problem === "sso" && (
        <ErrorNotice
          error={null}
          title="Organisation sign-in failed"
          detail="Your organisation did not confirm who you are. Try again or sign in with your password."
        />
      )}
      {auth.signedIn && auth.user && step === "password" && (
        <p role="status" className="rounded-md border border-slate-200 bg-white p-3 text-sm">
          You are signed in as {auth.user.email}.{" "}
          <Link href={next} className="font-semibold text-teal-800 underline">
            Continue
          </Link>
        </p>
      )}

      {step === "password" ? (
        <>
          <form
            className="card flex flex-col gap-4"
            onSubmit={(e) => submit(e, () => login(email.trim(), password))}
          >
            <Field
              label="Email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
            <PasswordField
              label="Password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <SubmitRow
              error={error}
              errorTitle={
                error instanceof ApiError && error.status !== 0 ? "Not signed in" : undefined
              }
              busy={busy}
              label="Sign in"
              busyLabel="Signing in…"
            />
          </form>
          {oidc && (
            <a
              className="btn-secondary"
              href={`${oidc.login_url}?${new URLSearchParams({ next }).toString()}`}
            >
              Sign in with your organisation{oidc.name ? ` (${oidc.name})` : ""}
            </a>
          )}
          <p className="text-sm text-slate-700">
            New to Lumen?{" "}
            <Link
              href={`/register?${new URLSearchParams({ next }).toString()}`}
              className="font-semibold text-teal-800 underline"
            >
              Create an account
            </Link>
          </p>
        </>
      ) : (
        <form
          className="card flex flex-col gap-4"
          onSubmit={(e) =>
            submit(e, () =>
              challenge(
                useRecovery ? { recovery_code: code.trim() } : { code: code.replace(/\s/g, "") },
              ),
            )
          }
        >
          <p className="text-slate-700">
            {useRecovery
              ? "Enter one of the recovery codes you saved when you set up two-step verification. Each works once."
              : "Enter the 6-digit code your authenticator app shows for Lumen."}
          </p>
          {useRecovery ? (
            <Field
              key="recovery"
              label="Recovery code"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          ) : (
            <CodeField
              key="totp"
              label="Authentication code"
              pattern="[0-9 ]{6,7}"
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          )}
          <SubmitRow error={error} busy={busy} label="Verify" busyLabel="Checking…" />
          <button
            type="button"
            className="self-start text-sm font-semibold text-teal-800 underline"
            onClick={() => {
              setUseRecovery(!useRecovery);
              setCode("");
              form.clearError();
            }}
          >
            {useRecovery ? "Use the code from my app" : "Use a recovery code"}
          </button>
        </form>
      )}
    </div>
  );
}
