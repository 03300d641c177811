import type { Metadata } from "next";
import { Suspense } from "react";

import { RegisterScreen } from "@/components/auth/RegisterScreen";

export const metadata: Metadata = { title: "Create an account" };

export default function Page() {
  // useSearchParams needs a Suspense boundary in a statically exported page.
  return (
    <Suspense fallback={<p className="p-4 text-slate-600">Loading…</p>}>
      <RegisterScreen />
    </Suspense>
  );
}
