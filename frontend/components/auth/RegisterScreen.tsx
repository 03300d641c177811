"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

import { Field } from "@/components/Field";
import { SubmitRow } from "@/components/SubmitRow";
import { register } from "@/lib/api/account";
import { safeNext } from "@/lib/api/client";
import { ApiError, fieldError } from "@/lib/api/problem";
import { useSetAuthState } from "@/lib/auth";
import { useFormAction } from "@/lib/form-action";

import { PasswordField } from "./PasswordField";

/** Create a patient account: email and a password; signed in right after. */
export function RegisterScreen() {
  const params = useSearchParams();
  const router = useRouter();
  const next = safeNext(params.get("next"));
  const setAuth = useSetAuthState();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useFormAction();

  const emailError =
    error instanceof ApiError && (error.field === "email" || error.status === 409)
      ? error.detail
      : null;
  const passwordError = fieldError(error, "password");

  return (
    <div className="mx-auto flex w-full max-w-md flex-col gap-5 px-3 py-8 sm:px-4">
      <h1 className="text-2xl font-semibold">Create an account</h1>
      <form
        className="card flex flex-col gap-4"
        onSubmit={(e) =>
          submit(e, async () => {
            setAuth(await register(email.trim(), password));
            router.replace(next);
          })
        }
        noValidate
      >
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          error={emailError}
          onChange={(e) => setEmail(e.target.value)}
        />
        <PasswordField
          label="Password"
          isNew
          value={password}
          error={passwordError}
          onChange={(e) => setPassword(e.target.value)}
        />
        <SubmitRow
          error={emailError || passwordError ? null : error}
          busy={busy}
          label="Create account"
          busyLabel="Creating your account…"
        />
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
