import type { Metadata } from "next";
import { Suspense } from "react";

import { RequireAuth } from "@/components/auth/RequireAuth";
import { LabelView } from "@/components/drugs/LabelView";

export const metadata: Metadata = { title: "Drug label" };

export default function LabelPage() {
  return (
    <div className="mx-auto flex w-full max-w-3xl flex-col gap-4 px-3 py-6 sm:px-4">
      <Suspense fallback={<p className="text-slate-600">Loading…</p>}>
        <RequireAuth>
          <LabelView />
        </RequireAuth>
      </Suspense>
    </div>
  );
}
