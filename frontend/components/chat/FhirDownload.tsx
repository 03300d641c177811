"use client";

import { useMutation } from "@tanstack/react-query";

import { ErrorNotice } from "@/components/ErrorNotice";
import { downloadConversationBundle } from "@/lib/api/fhir";

/** "Download for my doctor (FHIR)": this conversation as a FHIR R4 file to hand over. */
export function FhirDownload({ conversationId }: { conversationId: string }) {
  const download = useMutation({ mutationFn: downloadConversationBundle });
  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <button
          type="button"
          className="btn-secondary self-start"
          disabled={download.isPending}
          onClick={() => download.mutate(conversationId)}
          aria-describedby={`fhir-hint-${conversationId}`}
        >
          {download.isPending ? "Preparing the file…" : "Download for my doctor (FHIR)"}
        </button>
        <span id={`fhir-hint-${conversationId}`} className="text-sm text-slate-600">
          A FHIR R4 file of this conversation, with its sources, that health records can read.
        </span>
      </div>
      {download.isSuccess && (
        <p role="status" className="text-sm text-slate-700">
          The file is in your downloads.
        </p>
      )}
      {download.isError && (
        <ErrorNotice
          error={download.error}
          title="The FHIR file could not be made"
          onRetry={() => download.mutate(conversationId)}
        />
      )}
    </div>
  );
}
