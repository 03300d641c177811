/**
 * TanStack Query hooks of the admin knowledge page: counts per source and collection,
 * documents (search, filters, one with its sections and chunks), uploads and their progress,
 * deletion, and ingestion jobs (polled while one runs; cancel, run again).
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api } from "./client";
import { unwrap } from "./problem";
import { queryKeys } from "./queries";
import type { Collection, DocumentSource, Job, UploadProgress } from "./types";

export const COLLECTIONS: Collection[] = ["consumer_health", "drug_labels", "regulatory"];
export const SOURCES: DocumentSource[] = ["medquad", "spl", "upload"];

/** The collections and sources in words (their API names stay visible in the tables). */
export const COLLECTION_NAMES: Record<string, string> = {
  consumer_health: "Consumer health",
  drug_labels: "Drug labels",
  regulatory: "Regulatory and SOPs",
};
export const SOURCE_NAMES: Record<string, string> = {
  medquad: "MedQuAD (NIH)",
  spl: "FDA drug labels (SPL)",
  upload: "Uploaded files",
};

export type DocumentFilter = {
  q: string;
  collection: Collection | "";
  source: DocumentSource | "";
  /** ISO 8601 instants (the start of the chosen days, in the browser's time zone), or "". */
  updated_from: string;
  updated_until: string;
};
export const EMPTY_DOCUMENT_FILTER: DocumentFilter = {
  q: "",
  collection: "",
  source: "",
  updated_from: "",
  updated_until: "",
};

export const knowledgeKeys = {
  all: ["admin", "knowledge"] as const,
  summary: ["admin", "knowledge", "summary"] as const,
  allDocuments: ["admin", "knowledge", "documents"] as const,
  documents: (f: DocumentFilter, limit: number, offset: number) =>
    ["admin", "knowledge", "documents", f, limit, offset] as const,
  document: (id: string) => ["admin", "knowledge", "document", id] as const,
  upload: (jobId: string) => ["admin", "knowledge", "upload", jobId] as const,
};

/** How often to look again while an upload or another job is queued or running. */
const LIVE_POLL_MS = 1500;

export function isUnfinished(job: Pick<Job, "status"> | undefined): boolean {
  return job?.status === "queued" || job?.status === "running";
}

export function useKnowledgeSummary() {
  return useQuery({
    queryKey: knowledgeKeys.summary,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/admin/knowledge/summary", { signal })),
  });
}

export function useKnowledgeDocuments(f: DocumentFilter, limit: number, offset: number) {
  return useQuery({
    queryKey: knowledgeKeys.documents(f, limit, offset),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/admin/knowledge/documents", {
          params: {
            query: {
              ...(f.q ? { q: f.q } : {}),
              ...(f.collection ? { collection: f.collection } : {}),
              ...(f.source ? { source: f.source } : {}),
              ...(f.updated_from ? { updated_from: f.updated_from } : {}),
              ...(f.updated_until ? { updated_until: f.updated_until } : {}),
              limit,
              offset,
            },
          },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

/** One document with its sections and chunks as indexed, and its uploaded files. */
export function useAdminDocument(id: string | null) {
  return useQuery({
    queryKey: knowledgeKeys.document(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/admin/documents/{document_id}", {
          params: { path: { document_id: id ?? "" } },
          signal,
        }),
      ),
    enabled: id !== null,
    retry: false,
  });
}

/** Upload files into a collection: the answer is the job and each file's status. */
export function useUploadDocuments() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ files, collection }: { files: File[]; collection: Collection }) => {
      const form = new FormData();
      form.append("collection", collection);
      for (const file of files) form.append("files", file, file.name);
      return unwrap(
        api.POST("/api/v1/admin/documents", {
          // The typed body only satisfies the schema; the request sends the form itself.
          body: { collection, files: [] },
          bodySerializer: () => form,
        }),
      );
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.jobs }),
  });
}

/**
 * An upload's job and each file's progress, polled until the job ends; then what the upload
 * changed (counts, documents, jobs) is read again.
 */
export function useUploadProgress(jobId: string | null) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: knowledgeKeys.upload(jobId ?? ""),
    queryFn: async ({ signal }) => {
      const key = knowledgeKeys.upload(jobId ?? "");
      const before = queryClient.getQueryData<UploadProgress>(key);
      const progress = await unwrap(
        api.GET("/api/v1/admin/uploads/{job_id}", {
          params: { path: { job_id: jobId ?? "" } },
          signal,
          headers: { "X-Lumen-Background": "1" },
        }),
      );
      // Once, when the job has just ended (not on every later read of the finished job).
      if (!isUnfinished(progress.job) && (before === undefined || isUnfinished(before.job))) {
        void queryClient.invalidateQueries({ queryKey: knowledgeKeys.summary });
        void queryClient.invalidateQueries({ queryKey: knowledgeKeys.allDocuments });
        void queryClient.invalidateQueries({ queryKey: queryKeys.jobs });
      }
      return progress;
    },
    enabled: jobId !== null,
    retry: false,
    refetchInterval: (query) => (isUnfinished(query.state.data?.job) ? LIVE_POLL_MS : false),
  });
}

export function useDeleteDocument() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(
        api.DELETE("/api/v1/admin/documents/{document_id}", {
          params: { path: { document_id: id } },
        }),
      ),
    onSuccess: async (_data, id) => {
      queryClient.removeQueries({ queryKey: knowledgeKeys.document(id) });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: knowledgeKeys.summary }),
        queryClient.invalidateQueries({ queryKey: knowledgeKeys.allDocuments }),
      ]);
    },
  });
}

/** Ingestion jobs, newest first; polled while any is queued or running. */
export function useAdminJobs() {
  return useQuery({
    queryKey: queryKeys.jobs,
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/jobs", { signal, headers: { "X-Lumen-Background": "1" } })),
    refetchInterval: (query) =>
      query.state.data?.items.some((j) => isUnfinished(j)) ? LIVE_POLL_MS : false,
  });
}

function useJobMutation(request: (jobId: string) => Promise<Job>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: request,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.jobs }),
  });
}

/** Ask a job to stop between batches. */
export function useCancelJob() {
  return useJobMutation((jobId) =>
    unwrap(api.POST("/api/v1/jobs/{job_id}/cancel", { params: { path: { job_id: jobId } } })),
  );
}

/** Re-ingest a source: a new job of a finished job's kind on the same source. */
export function useRerunJob() {
  return useJobMutation((jobId) =>
    unwrap(
      api.POST("/api/v1/admin/knowledge/jobs/{job_id}/rerun", {
        params: { path: { job_id: jobId } },
      }),
    ),
  );
}
