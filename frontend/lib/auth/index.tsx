"use client";

/**
 * Who is signed in: GET /api/v1/auth/me through TanStack Query. `null` means signed out (the
 * server answered 401); a failure to ask (offline, server down) is the query's error.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";

import { api } from "@/lib/api/client";
import { networkError, problemFrom } from "@/lib/api/problem";
import type { AuthState } from "@/lib/api/types";

export const authKey = ["auth", "me"] as const;

async function fetchMe(signal: AbortSignal): Promise<AuthState | null> {
  let result;
  try {
    result = await api.GET("/api/v1/auth/me", { signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw networkError();
  }
  if (result.response.status === 401) return null;
  if (!result.response.ok) throw problemFrom(result.response, result.error);
  return result.data as AuthState;
}

export function useAuth() {
  const query = useQuery({
    queryKey: authKey,
    queryFn: ({ signal }) => fetchMe(signal),
    staleTime: 30_000,
  });
  const state = query.data ?? null;
  return {
    /** undefined while the first answer is pending. */
    state: query.data,
    user: state?.user ?? null,
    status: state?.status ?? null,
    signedIn: state?.status === "signed_in",
    isPending: query.isPending,
    error: query.error,
    refetch: query.refetch,
  };
}

/**
 * Records a new AuthState (after sign-in, 2FA, sign-out): the data of the previous user is
 * dropped from the cache so nothing of theirs is shown to the next one.
 */
export function useSetAuthState() {
  const queryClient = useQueryClient();
  return useCallback(
    (state: AuthState | null, { keepData = false }: { keepData?: boolean } = {}) => {
      if (!keepData) queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== "auth" });
      queryClient.setQueryData(authKey, state);
    },
    [queryClient],
  );
}
