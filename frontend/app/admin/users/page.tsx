import type { Metadata } from "next";

import { AdminNav } from "@/components/admin/AdminNav";
import { UsersScreen } from "@/components/admin/UsersScreen";
import { RequireAuth } from "@/components/auth/RequireAuth";
import { PageShell } from "@/components/PageShell";

export const metadata: Metadata = { title: "Users" };

export default function AdminUsersPage() {
  return (
    <RequireAuth roles={["admin"]}>
      <PageShell title="Users" wide>
        <AdminNav />
        <UsersScreen />
      </PageShell>
    </RequireAuth>
  );
}
