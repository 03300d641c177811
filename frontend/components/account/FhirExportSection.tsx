"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { Section } from "@/components/Section";
import { when } from "@/components/format";
import { downloadExportBundle, useFhirExport, useStartFhirExport } from "@/lib/api/fhir";
import { fieldError } from "@/lib/api/problem";

/**
 * Every conversation as one FHIR R4 file for a doctor: the export runs as a job, shows its
 * progress, then offers the file once (Lumen deletes it as it hands it over).
 */
export function FhirExportSection() {
  const [name, setName] = useState("");
  const [exportId, setExportId] = useState<string | null>(null);
  const start = useStartFhirExport();
  const status = useFhirExport(exportId);
  const download = useMutation({
    mutationFn: downloadExportBundle,
    onSettled: () => void status.refetch(),
  });
  const item = status.data;
  const running = item?.status === "queued" || item?.status === "running";

  return (
    <Section id="fhir" title="For your doctor (FHIR)">
      <p className="text-sm text-slate-700">
        Make one file of all your conversations in FHIR R4, the format health records read: your
        questions, the answers with the sources they cite, and which answers a machine wrote. You
        are named only if you type your name below. The file waits, encrypted, for one download and
        is deleted after it or when it expires.
      </p>
      <form
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          download.reset();
          start.mutate(name.trim() || null, { onSuccess: (created) => setExportId(created.id) });
        }}
      >
        <Field
          label="Your name in the file (optional)"
          autoComplete="name"
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fieldError(start.error, "patient_name")}
        />
        <button
          type="submit"
          className="btn-primary self-start"
          disabled={start.isPending || running}
        >
          Download for my doctor (FHIR)
        </button>
      </form>
      {start.isError && !fieldError(start.error, "patient_name") && (
        <ErrorNotice error={start.error} title="The export could not start" />
      )}
      {status.isError && <ErrorNotice error={status.error} onRetry={() => void status.refetch()} />}
      {item && (
        <div className="flex flex-col gap-2">
          {running && (
            <>
              <p role="status" className="text-sm">
                Preparing your file: {item.done} of {item.total ?? "…"} conversations.
              </p>
              <progress
                className="w-full"
                aria-label="Export progress"
                max={item.total ?? undefined}
                value={item.total ? item.done : undefined}
              />
            </>
          )}
          {item.file === "ready" && !download.isSuccess && (
            <>
              <p role="status" className="text-sm">
                Your file is ready ({item.done} conversations). It can be downloaded once, until{" "}
                {item.expires_at ? when(item.expires_at) : "it expires"}.
              </p>
              <button
                type="button"
                className="btn-secondary self-start"
                disabled={download.isPending}
                onClick={() => download.mutate(item.id)}
              >
                Download the FHIR file
              </button>
            </>
          )}
          {(download.isSuccess || item.file === "downloaded") && (
            <p role="status" className="text-sm">
              Downloaded. Lumen no longer keeps this file; make a new one whenever you need it.
            </p>
          )}
          {item.file === "expired" && (
            <p role="status" className="text-sm">
              This file expired before it was downloaded. Make a new one.
            </p>
          )}
          {item.file === "failed" && (
            <ErrorNotice
              error={null}
              title="The export did not finish"
              detail={item.error ?? "Try again in a moment."}
            />
          )}
          {download.isError && (
            <ErrorNotice error={download.error} title="The file could not be downloaded" />
          )}
        </div>
      )}
    </Section>
  );
}
