"use client";

import { useAuth } from "@/lib/auth";

import { AccessEventsSection, DataSection } from "./DataSection";
import { when } from "@/components/format";
import { FhirExportSection } from "./FhirExportSection";
import { PasswordSection } from "./PasswordSection";
import { Section } from "@/components/Section";
import { SessionsSection } from "./SessionsSection";
import { TokensSection } from "./TokensSection";
import { TwoFactorSection } from "./TwoFactorSection";

/** The signed-in user's settings. Shown inside RequireAuth. */
export function AccountScreen() {
  const { user } = useAuth();
  if (!user) return null;
  return (
    <div className="flex flex-col gap-4">
      <Section id="profile" title="Profile">
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="font-semibold">Email</dt>
          <dd className="break-all">{user.email}</dd>
          <dt className="font-semibold">Role</dt>
          <dd>{user.role}</dd>
          <dt className="font-semibold">Member since</dt>
          <dd>{when(user.created_at)}</dd>
          {user.sso && (
            <>
              <dt className="font-semibold">Sign-in</dt>
              <dd>through your organisation</dd>
            </>
          )}
        </dl>
      </Section>
      {!user.sso && <PasswordSection />}
      <TwoFactorSection user={user} />
      <SessionsSection />
      {user.role === "pharma" && <TokensSection />}
      <AccessEventsSection />
      {user.role === "patient" && <FhirExportSection />}
      <DataSection user={user} />
    </div>
  );
}
