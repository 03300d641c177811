"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { PasswordRules } from "@/components/auth/PasswordRules";
import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { accountKeys, changePassword } from "@/lib/api/account";
import { ApiError } from "@/lib/api/problem";

import { Section } from "./Section";

export function PasswordSection() {
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await changePassword(current, next);
      setDone(true);
      setCurrent("");
      setNext("");
      void queryClient.invalidateQueries({ queryKey: accountKeys.sessions });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const problem = error instanceof ApiError ? error : null;
  const fieldError = (name: string) => (problem?.field === name ? problem.detail : null);
  const shown = fieldError("current_password") ?? fieldError("new_password");

  return (
    <Section id="password" title="Password">
      <form className="flex flex-col gap-3" onSubmit={submit} noValidate>
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          error={fieldError("current_password")}
          onChange={(e) => setCurrent(e.target.value)}
        />
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          value={next}
          error={fieldError("new_password")}
          hint={<PasswordRules />}
          onChange={(e) => setNext(e.target.value)}
        />
        {error !== null && !shown && <ErrorNotice error={error} />}
        {done && (
          <p role="status" className="text-sm text-teal-900">
            Password changed. Your other sessions were signed out.
          </p>
        )}
        <button type="submit" className="btn-primary self-start" disabled={busy}>
          Change password
        </button>
      </form>
    </Section>
  );
}
