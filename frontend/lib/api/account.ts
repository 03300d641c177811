/** TanStack Query hooks of accounts: sign-in, 2FA, sessions, API tokens, the account itself. */
import { useQuery } from "@tanstack/react-query";

import { api } from "./client";
import { unwrap } from "./problem";
import { useInvalidatingMutation } from "./queries";
import type { TokenScope } from "./types";

export const accountKeys = {
  providers: ["auth", "providers"] as const,
  sessions: ["account", "sessions"] as const,
  tokens: ["account", "tokens"] as const,
  accessEvents: ["account", "access-events"] as const,
};

export function useProviders() {
  return useQuery({
    queryKey: accountKeys.providers,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/auth/providers", { signal })),
    staleTime: Infinity,
    retry: false,
  });
}

export function login(email: string, password: string) {
  return unwrap(api.POST("/api/v1/auth/login", { body: { email, password } }));
}

export function register(email: string, password: string) {
  return unwrap(api.POST("/api/v1/auth/register", { body: { email, password } }));
}

export function acceptInvitation(token: string, password: string) {
  return unwrap(api.POST("/api/v1/auth/invitations/accept", { body: { token, password } }));
}

export function challenge(answer: { code: string } | { recovery_code: string }) {
  return unwrap(api.POST("/api/v1/auth/2fa/challenge", { body: answer }));
}

export function logout() {
  return unwrap(api.POST("/api/v1/auth/logout"));
}

export function logoutAll() {
  return unwrap(api.POST("/api/v1/auth/logout-all"));
}

export function setupTotp() {
  return unwrap(api.POST("/api/v1/auth/2fa/setup"));
}

export function verifyTotp(code: string) {
  return unwrap(api.POST("/api/v1/auth/2fa/verify", { body: { code } }));
}

export function disableTotp(password: string, code: string) {
  return unwrap(api.POST("/api/v1/auth/2fa/disable", { body: { password, code } }));
}

export function regenerateRecoveryCodes(code: string) {
  return unwrap(api.POST("/api/v1/auth/2fa/recovery-codes", { body: { code } }));
}

export function changePassword(currentPassword: string, newPassword: string) {
  return unwrap(
    api.POST("/api/v1/auth/password", {
      body: { current_password: currentPassword, new_password: newPassword },
    }),
  );
}

export function deleteAccount(confirmation: { password: string } | { confirm: "DELETE" }) {
  return unwrap(api.DELETE("/api/v1/account", { body: confirmation }));
}

export function useSessions() {
  return useQuery({
    queryKey: accountKeys.sessions,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/auth/sessions", { signal })),
  });
}

export function useEndSession() {
  return useInvalidatingMutation(
    (id: string) =>
      unwrap(
        api.DELETE("/api/v1/auth/sessions/{session_handle}", {
          params: { path: { session_handle: id } },
        }),
      ),
    accountKeys.sessions,
  );
}

export function useTokens(enabled: boolean) {
  return useQuery({
    queryKey: accountKeys.tokens,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/account/tokens", { signal })),
    enabled,
  });
}

export function useCreateToken() {
  return useInvalidatingMutation(
    (body: { name: string; scopes: TokenScope[]; expires_in_days: number }) =>
      unwrap(api.POST("/api/v1/account/tokens", { body })),
    accountKeys.tokens,
  );
}

export function useRevokeToken() {
  return useInvalidatingMutation(
    (id: string) =>
      unwrap(
        api.DELETE("/api/v1/account/tokens/{token_id}", { params: { path: { token_id: id } } }),
      ),
    accountKeys.tokens,
  );
}

export function useAccessEvents() {
  return useQuery({
    queryKey: accountKeys.accessEvents,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/account/access-events", { signal })),
  });
}
