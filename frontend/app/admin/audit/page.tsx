import type { Metadata } from "next";

import { AdminNav } from "@/components/admin/AdminNav";
import { AuditScreen } from "@/components/admin/AuditScreen";
import { RequireAuth } from "@/components/auth/RequireAuth";
import { PageShell } from "@/components/PageShell";

export const metadata: Metadata = { title: "Audit log" };

export default function AdminAuditPage() {
  return (
    <RequireAuth roles={["admin"]}>
      <PageShell
        title="Audit log"
        intro="Every sign-in, change and access, each entry chained to the previous one by its hash."
        wide
      >
        <AdminNav />
        <AuditScreen />
      </PageShell>
    </RequireAuth>
  );
}
