import type { Metadata } from "next";

import { AccountScreen } from "@/components/account/AccountScreen";
import { RequireAuth } from "@/components/auth/RequireAuth";
import { PageShell } from "@/components/PageShell";

export const metadata: Metadata = { title: "Your account" };

export default function AccountPage() {
  return (
    <RequireAuth>
      <PageShell title="Your account">
        <AccountScreen />
      </PageShell>
    </RequireAuth>
  );
}
