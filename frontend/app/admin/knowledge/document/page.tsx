import type { Metadata } from "next";
import { Suspense } from "react";

import { DocumentView } from "@/components/admin/knowledge/DocumentView";
import { RequireAuth } from "@/components/auth/RequireAuth";

export const metadata: Metadata = { title: "Document as indexed" };

export default function AdminDocumentPage() {
  // useSearchParams needs a Suspense boundary in a statically exported page.
  return (
    <Suspense fallback={<p className="p-4 text-slate-600">Loading…</p>}>
      <RequireAuth roles={["admin"]}>
        <DocumentView />
      </RequireAuth>
    </Suspense>
  );
}
