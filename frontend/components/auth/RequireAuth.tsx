"use client";

import { useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { signInHref } from "@/lib/api/client";
import type { Role } from "@/lib/api/types";
import { useAuth } from "@/lib/auth";

type Props = {
  children: ReactNode;
  /** Roles allowed here; any signed-in user when omitted. */
  roles?: readonly Role[];
  /** Also let in a pharma/admin user who still has to set up 2FA (the enrollment page). */
  allowEnrollment?: boolean;
};

function here(): string {
  return `${window.location.pathname}${window.location.search}`;
}

/**
 * Shows its children to a signed-in user only. Signed out → /signin?next=…; password given
 * but code pending → /signin (the code step); 2FA enrollment pending → /account/2fa.
 */
export function RequireAuth({ children, roles, allowEnrollment = false }: Props) {
  const router = useRouter();
  const { state, status, user, error, isPending, refetch } = useAuth();
  const enrolling = status === "mfa_enrollment_required";

  const target = isPending
    ? null
    : state === null || status === "mfa_required"
      ? "signin"
      : enrolling && !allowEnrollment
        ? "enroll"
        : null;

  useEffect(() => {
    if (target === "signin") router.replace(signInHref(here()));
    if (target === "enroll") {
      router.replace(`/account/2fa?${new URLSearchParams({ next: here() }).toString()}`);
    }
  }, [target, router]);

  if (isPending) {
    return (
      <p role="status" className="p-4 text-slate-700">
        Checking your session…
      </p>
    );
  }
  if (error) {
    // The session could not be checked (server down…): role-bound pages say so; the others
    // render, and their own requests show what fails.
    if (roles) {
      return (
        <div className="mx-auto w-full max-w-3xl p-4">
          <ErrorNotice error={error} onRetry={() => void refetch()} />
        </div>
      );
    }
    return <>{children}</>;
  }
  if (target) {
    return (
      <p role="status" className="p-4 text-slate-700">
        {target === "enroll" ? "Two-step verification is required…" : "Redirecting to sign in…"}
      </p>
    );
  }
  if (roles && user && !roles.includes(user.role)) {
    return (
      <div className="mx-auto w-full max-w-3xl p-4">
        <h1 className="mb-3 text-2xl font-semibold">Not allowed</h1>
        <p className="text-slate-700">
          This page is for {roles.join(" or ")} accounts. You are signed in as {user.email} (
          {user.role}).
        </p>
      </div>
    );
  }
  return <>{children}</>;
}
