import type { Metadata } from "next";
import { Suspense } from "react";

import { BreakGlassView } from "@/components/admin/BreakGlassView";
import { RequireAuth } from "@/components/auth/RequireAuth";

export const metadata: Metadata = { title: "Break-glass access" };

export default function Page() {
  // useSearchParams needs a Suspense boundary in a statically exported page.
  return (
    <Suspense fallback={<p className="p-4 text-slate-600">Loading…</p>}>
      <RequireAuth roles={["admin"]}>
        <BreakGlassView />
      </RequireAuth>
    </Suspense>
  );
}
