"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { register } from "@/lib/api/account";
import { safeNext } from "@/lib/api/client";
import { ApiError } from "@/lib/api/problem";
import { useSetAuthState } from "@/lib/auth";

import { PasswordRules } from "./PasswordRules";

/** Create a patient account: email and a password; signed in right after. */
export function RegisterScreen() {
  const params = useSearchParams();
  const router = useRouter();
  const next = safeNext(params.get("next"));
  const setAuth = useSetAuthState();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const state = await register(email.trim(), password);
      setAuth(state);
      router.replace(next);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const problem = error instanceof ApiError ? error : null;
  const emailError =
    problem && (problem.field === "email" || problem.status === 409) ? problem.detail : null;
  const passwordError = problem?.field === "password" ? problem.detail : null;

  return (
    <div className="mx-auto flex w-full max-w-md flex-col gap-5 px-3 py-8 sm:px-4">
      <h1 className="text-2xl font-semibold">Create an account</h1>
      <form className="card flex flex-col gap-4" onSubmit={submit} noValidate>
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          error={emailError}
          onChange={(e) => setEmail(e.target.value)}
        />
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
        {error !== null && !emailError && !passwordError && <ErrorNotice error={error} />}
        <button type="submit" className="btn-primary" disabled={busy}>
          {busy ? "Creating your account…" : "Create account"}
        </button>
      </form>
      <p className="text-sm text-slate-700">
        Already have an account?{" "}
        <Link
          href={`/signin?${new URLSearchParams({ next }).toString()}`}
          className="font-semibold text-teal-800 underline"
        >
          Sign in
        </Link>
      </p>
    </div>
  );
}
