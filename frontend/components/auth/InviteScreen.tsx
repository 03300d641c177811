"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { SubmitRow } from "@/components/SubmitRow";
import { acceptInvitation } from "@/lib/api/account";
import { fieldError } from "@/lib/api/problem";
import { useSetAuthState } from "@/lib/auth";
import { useFormAction } from "@/lib/form-action";

import { PasswordField } from "./PasswordField";

/** Accept an invitation an administrator sent: choose a password, then sign in. */
export function InviteScreen() {
  const params = useSearchParams();
  const router = useRouter();
  const token = params.get("token") ?? "";
  const setAuth = useSetAuthState();
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useFormAction();
  const passwordError = fieldError(error, "password");

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
        <form
          className="card flex flex-col gap-4"
          onSubmit={(e) =>
            submit(e, async () => {
              const state = await acceptInvitation(token, password);
              setAuth(state);
              router.replace(state.status === "mfa_enrollment_required" ? "/account/2fa" : "/chat");
            })
          }
          noValidate
        >
          <p className="text-slate-700">
            An administrator invited you to Lumen. Choose a password to finish your account.
          </p>
          <PasswordField
            label="Password"
            isNew
            value={password}
            error={passwordError}
            onChange={(e) => setPassword(e.target.value)}
          />
          <SubmitRow
            error={passwordError ? null : error}
            busy={busy}
            label="Set password and sign in"
            busyLabel="Saving…"
          />
        </form>
      )}
    </div>
  );
}
