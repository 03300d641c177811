"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { PasswordField } from "@/components/auth/PasswordField";
import { SubmitRow } from "@/components/SubmitRow";
import { accountKeys, changePassword } from "@/lib/api/account";
import { fieldError } from "@/lib/api/problem";
import { useFormAction } from "@/lib/form-action";

import { Section } from "@/components/Section";

export function PasswordSection() {
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const { busy, error, submit } = useFormAction();
  const [done, setDone] = useState(false);

  const currentError = fieldError(error, "current_password");
  const nextError = fieldError(error, "new_password");
  const shown = currentError ?? nextError;

  return (
    <Section id="password" title="Password">
      <form
        className="flex flex-col gap-3"
        onSubmit={(e) =>
          submit(e, async () => {
            setDone(false);
            await changePassword(current, next);
            setDone(true);
            setCurrent("");
            setNext("");
            void queryClient.invalidateQueries({ queryKey: accountKeys.sessions });
          })
        }
        noValidate
      >
        <PasswordField
          label="Current password"
          value={current}
          error={currentError}
          onChange={(e) => setCurrent(e.target.value)}
        />
        <PasswordField
          label="New password"
          isNew
          value={next}
          error={nextError}
          onChange={(e) => setNext(e.target.value)}
        />
        <SubmitRow error={shown ? null : error} busy={busy} label="Change password" start>
          {done && (
            <p role="status" className="text-sm text-teal-900">
              Password changed. Your other sessions were signed out.
            </p>
          )}
        </SubmitRow>
      </form>
    </Section>
  );
}
