import type { Metadata } from "next";

import { AdminNav } from "@/components/admin/AdminNav";
import { KnowledgeScreen } from "@/components/admin/knowledge/KnowledgeScreen";
import { RequireAuth } from "@/components/auth/RequireAuth";
import { PageShell } from "@/components/PageShell";

export const metadata: Metadata = { title: "Knowledge base" };

export default function AdminKnowledgePage() {
  return (
    <RequireAuth roles={["admin"]}>
      <PageShell
        title="Knowledge base"
        intro="The sources answers are drawn from: what is indexed, uploads, and the jobs that load them."
        wide
      >
        <AdminNav />
        <KnowledgeScreen />
      </PageShell>
    </RequireAuth>
  );
}
