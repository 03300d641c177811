/**
 * Server state through TanStack Query: one hook per read, keys in one place so mutations and
 * the answer stream invalidate exactly what they change.
 */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryKey,
} from "@tanstack/react-query";

import { api } from "./client";
import { unwrap } from "./problem";
import type { ConversationDetail } from "./types";

export const queryKeys = {
  conversations: ["conversations"] as const,
  conversation: (id: string) => ["conversations", id] as const,
  drugs: (q: string) => ["drugs", "search", q] as const,
  drug: (setId: string) => ["drugs", "label", setId] as const,
  document: (id: string) => ["documents", id] as const,
  jobs: ["jobs"] as const,
};

/** How often to look again at a conversation whose answer another tab or request is writing. */
const STREAMING_POLL_MS = 2000;
/** How often to look again at ingestion while a job runs. */
const JOBS_POLL_MS = 5000;

export function useConversations() {
  return useQuery({
    queryKey: queryKeys.conversations,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/conversations", { signal })),
  });
}

/**
 * A conversation with its messages. `poll` re-reads it while a stored answer is still
 * `streaming` (written by a request this page does not own, e.g. before a reload).
 */
export function useConversation(id: string | null, { poll }: { poll: boolean }) {
  return useQuery({
    queryKey: queryKeys.conversation(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/conversations/{conversation_id}", {
          params: { path: { conversation_id: id ?? "" } },
          signal,
        }),
      ),
    enabled: id !== null,
    refetchInterval: (query) =>
      poll && isBeingWritten(query.state.data) ? STREAMING_POLL_MS : false,
  });
}

function isBeingWritten(detail: ConversationDetail | undefined): boolean {
  return detail?.messages.some((m) => m.status === "streaming") ?? false;
}

/** A mutation that, once it succeeds, has the reads under `queryKey` fetched again. */
export function useInvalidatingMutation<Variables, Data>(
  mutationFn: (variables: Variables) => Promise<Data>,
  queryKey: QueryKey,
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: () => queryClient.invalidateQueries({ queryKey }),
  });
}

/** Start a conversation; its title is the first question, shortened. */
export function useCreateConversation() {
  return useInvalidatingMutation(
    (title: string | null) => unwrap(api.POST("/api/v1/conversations", { body: { title } })),
    queryKeys.conversations,
  );
}

export function useDeleteConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE("/api/v1/conversations/{conversation_id}", {
          params: { path: { conversation_id: id } },
        }),
      ),
    onSuccess: (_data, id) => {
      queryClient.removeQueries({ queryKey: queryKeys.conversation(id) });
      return queryClient.invalidateQueries({ queryKey: queryKeys.conversations, exact: true });
    },
  });
}

/**
 * Pages of `GET /api/v1/drugs` for `q`: labels best first (brand name starting with the query,
 * then generic name, then either containing it); the next page is fetched on demand by cursor.
 */
export function useDrugSearch(q: string) {
  return useInfiniteQuery({
    queryKey: [...queryKeys.drugs(q), "pages"],
    queryFn: ({ pageParam, signal }) => {
      const query = pageParam ? { q, cursor: pageParam } : { q };
      return unwrap(api.GET("/api/v1/drugs", { params: { query }, signal }));
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => (last.has_more ? last.next_cursor : null),
    enabled: q.length > 0,
  });
}

export function useDrugLabel(setId: string | null) {
  return useQuery({
    queryKey: queryKeys.drug(setId ?? ""),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/drugs/{set_id}", { params: { path: { set_id: setId ?? "" } }, signal }),
      ),
    enabled: setId !== null,
    staleTime: Infinity,
  });
}

/** A source document, for showing a cited passage in its context. */
export function useSourceDocument(id: string | null) {
  return useQuery({
    queryKey: queryKeys.document(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/documents/{document_id}", {
          params: { path: { document_id: id ?? "" } },
          signal,
        }),
      ),
    enabled: id !== null,
    staleTime: Infinity,
    retry: false,
  });
}

/** Ingestion jobs; polled while one is queued or running. */
export function useJobs(enabled = true) {
  return useQuery({
    queryKey: queryKeys.jobs,
    // Background polling: the server does not count it as activity (automatic logoff).
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/jobs", { signal, headers: { "X-Lumen-Background": "1" } })),
    enabled,
    retry: false,
    refetchInterval: (query) =>
      query.state.data?.items.some((j) => j.status === "queued" || j.status === "running")
        ? JOBS_POLL_MS
        : false,
  });
}
