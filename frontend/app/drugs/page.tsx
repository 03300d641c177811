import type { Metadata } from "next";
import { Suspense } from "react";

import { RequireAuth } from "@/components/auth/RequireAuth";
import { DrugSearch } from "@/components/drugs/DrugSearch";

export const metadata: Metadata = { title: "Drug labels" };

export default function DrugsPage() {
  return (
    <RequireAuth>
      <div className="mx-auto flex w-full max-w-3xl flex-col gap-4 px-3 py-6 sm:px-4">
        <h1 className="text-2xl font-semibold">Drug labels</h1>
        <p className="text-slate-700">
          Find the FDA prescribing information of a medicine, read its sections, and ask about it.
        </p>
        <Suspense fallback={null}>
          <DrugSearch />
        </Suspense>
      </div>
    </RequireAuth>
  );
}
