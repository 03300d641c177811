/**
 * The FHIR export (issue 12): one conversation's FHIR R4 Bundle at once, or all of them as an
 * export job whose file can be downloaded once.
 */
import { useMutation, useQuery } from "@tanstack/react-query";

import { api } from "./client";
import { unwrap } from "./problem";
import type { FhirExport } from "./types";

export const fhirKeys = {
  export: (id: string) => ["fhir", "exports", id] as const,
};

/** How often to look again at an export while its job runs. */
const EXPORT_POLL_MS = 1000;

/** Hand a downloaded file to the browser, as a link with `download` would. */
export function saveFile(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoke after the click has been handled: some browsers read the URL asynchronously.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Download one conversation as a FHIR Bundle file. Throws an `ApiError`. */
export async function downloadConversationBundle(conversationId: string) {
  const blob = await unwrap(
    api.GET("/api/v1/fhir/conversations/{conversation_id}", {
      params: { path: { conversation_id: conversationId } },
      parseAs: "blob",
    }),
  );
  saveFile(blob, `lumen-conversation-${conversationId}.fhir.json`);
}

/** Start the export of every conversation; the optional name goes into the Patient. */
export function useStartFhirExport() {
  return useMutation({
    mutationFn: (patientName: string | null) =>
      unwrap(api.POST("/api/v1/fhir/exports", { body: { patient_name: patientName } })),
  });
}

function isRunning(item: FhirExport | undefined): boolean {
  return item?.status === "queued" || item?.status === "running";
}

/** An export's status and progress, polled while its job runs. */
export function useFhirExport(id: string | null) {
  return useQuery({
    queryKey: fhirKeys.export(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/fhir/exports/{export_id}", {
          params: { path: { export_id: id ?? "" } },
          signal,
        }),
      ),
    enabled: id !== null,
    refetchInterval: (query) => (isRunning(query.state.data) ? EXPORT_POLL_MS : false),
  });
}

/** Download an export's Bundle (once: Lumen deletes the file as it hands it over). */
export async function downloadExportBundle(id: string) {
  const blob = await unwrap(
    api.GET("/api/v1/fhir/exports/{export_id}/bundle", {
      params: { path: { export_id: id } },
      parseAs: "blob",
    }),
  );
  saveFile(blob, `lumen-export-${id}.fhir.json`);
}
