import type { Metadata } from "next";
import { Suspense } from "react";

import { InviteScreen } from "@/components/auth/InviteScreen";

export const metadata: Metadata = { title: "Accept your invitation" };

export default function Page() {
  // useSearchParams needs a Suspense boundary in a statically exported page.
  return (
    <Suspense fallback={<p className="p-4 text-slate-600">Loading…</p>}>
      <InviteScreen />
    </Suspense>
  );
}
