import type { Metadata } from "next";
import { Suspense } from "react";

import { EnrollTotp } from "@/components/account/EnrollTotp";
import { RequireAuth } from "@/components/auth/RequireAuth";
import { PageShell } from "@/components/PageShell";

export const metadata: Metadata = { title: "Two-step verification" };

export default function TwoFactorPage() {
  return (
    <Suspense fallback={<p className="p-4 text-slate-600">Loading…</p>}>
      <RequireAuth allowEnrollment>
        <PageShell title="Set up two-step verification">
          <EnrollTotp />
        </PageShell>
      </RequireAuth>
    </Suspense>
  );
}
