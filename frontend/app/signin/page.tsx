import type { Metadata } from "next";
import { Suspense } from "react";

import { SignInScreen } from "@/components/auth/SignInScreen";

export const metadata: Metadata = { title: "Sign in" };

export default function Page() {
  // useSearchParams needs a Suspense boundary in a statically exported page.
  return (
    <Suspense fallback={<p className="p-4 text-slate-600">Loading…</p>}>
      <SignInScreen />
    </Suspense>
  );
}
