/** TanStack Query hooks of the admin pages: users, invitations, the audit log, break glass. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api } from "./client";
import { unwrap } from "./problem";
import { useInvalidatingMutation } from "./queries";
import type { Role } from "./types";

export type UserFilter = { q: string; role: Role | ""; limit: number; offset: number };
export type AuditFilter = {
  actor_id: string;
  action: string;
  object_type: string;
  object_id: string;
  since: string;
  until: string;
};
export const EMPTY_AUDIT_FILTER: AuditFilter = {
  actor_id: "",
  action: "",
  object_type: "",
  object_id: "",
  since: "",
  until: "",
};

export const adminKeys = {
  users: (f: UserFilter) => ["admin", "users", f] as const,
  allUsers: ["admin", "users"] as const,
  audit: (f: AuditFilter, limit: number, offset: number) =>
    ["admin", "audit", f, limit, offset] as const,
  actions: ["admin", "audit", "actions"] as const,
  grant: (id: string) => ["admin", "break-glass", id] as const,
};

/** Only the filters that are set, as the query string's parameters. */
export function auditQuery(f: AuditFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(f)) if (value) out[key] = value;
  return out;
}

export function useAdminUsers(f: UserFilter) {
  return useQuery({
    queryKey: adminKeys.users(f),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/admin/users", {
          params: {
            query: {
              ...(f.q ? { q: f.q } : {}),
              ...(f.role ? { role: f.role } : {}),
              limit: f.limit,
              offset: f.offset,
            },
          },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useInviteUser() {
  return useInvalidatingMutation(
    (body: { email: string; role: Role }) =>
      unwrap(api.POST("/api/v1/admin/users/invite", { body })),
    adminKeys.allUsers,
  );
}

export function useUpdateUser() {
  return useInvalidatingMutation(
    ({ id, ...body }: { id: string; role?: Role; disabled?: boolean }) =>
      unwrap(
        api.PATCH("/api/v1/admin/users/{user_id}", { params: { path: { user_id: id } }, body }),
      ),
    adminKeys.allUsers,
  );
}

export function useAudit(f: AuditFilter, limit: number, offset: number) {
  return useQuery({
    queryKey: adminKeys.audit(f, limit, offset),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/admin/audit", {
          params: { query: { ...auditQuery(f), limit, offset } },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useAuditActions() {
  return useQuery({
    queryKey: adminKeys.actions,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/admin/audit/actions", { signal })),
    staleTime: 5 * 60_000,
  });
}

export function verifyAudit() {
  return unwrap(api.GET("/api/v1/admin/audit/verify"));
}

export function openBreakGlass(conversationId: string, reason: string) {
  return unwrap(
    api.POST("/api/v1/admin/break-glass", {
      body: { conversation_id: conversationId, reason },
    }),
  );
}

export function useBreakGlass(id: string | null) {
  return useQuery({
    queryKey: adminKeys.grant(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/admin/break-glass/{grant_id}", {
          params: { path: { grant_id: id ?? "" } },
          signal,
        }),
      ),
    enabled: id !== null,
    retry: false,
  });
}
