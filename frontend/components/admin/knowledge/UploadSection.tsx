"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { Field } from "@/components/Field";
import { Section } from "@/components/Section";
import {
  COLLECTIONS,
  isUnfinished,
  useUploadDocuments,
  useUploadProgress,
} from "@/lib/api/knowledge";
import { fieldError } from "@/lib/api/problem";
import type { Collection, UploadProgress } from "@/lib/api/types";
import { adminDocumentHref } from "@/lib/routes";

import { collectionName, fileStatusName, progressText } from "./names";

const ACCEPT = ".pdf,.docx,.html,.htm,.md,.markdown,.txt,.text";

function outcome(progress: UploadProgress): string {
  const { job, files } = progress;
  const failed = files.filter((f) => f.status === "failed").length;
  if (isUnfinished(job)) {
    return `Indexing: ${progressText(job.done, job.total, job.unit)} done.`;
  }
  if (job.status === "cancelled") return "Upload cancelled before every file was indexed.";
  if (failed > 0 || job.status === "failed") {
    return `Upload finished with failures: ${failed} of ${files.length} files failed.`;
  }
  return `Upload finished: ${files.length} of ${files.length} files indexed.`;
}

/** The job of an upload and each file: live while it runs, then what failed and why. */
function UploadProgressView({ progress }: { progress: UploadProgress }) {
  const { job, files } = progress;
  return (
    <div className="flex flex-col gap-2 rounded-md border border-slate-200 p-3">
      <p role="status" className="text-sm font-semibold">
        {outcome(progress)}
      </p>
      <progress
        className="h-2 w-full"
        aria-label="Upload progress"
        max={job.total ?? undefined}
        value={job.total ? job.done : undefined}
      />
      {job.error && <p className="text-sm text-red-800">{job.error}</p>}
      <ul aria-label="Uploaded files" className="flex flex-col gap-1 text-sm">
        {files.map((file) => (
          <li key={file.id} className="break-words">
            <span className="font-medium">{file.file_name}</span>
            {": "}
            <span className={file.status === "failed" ? "font-semibold text-red-800" : ""}>
              {fileStatusName(file.status)}
            </span>
            {file.error && <span className="text-red-800"> — {file.error}</span>}
            {file.status === "indexed" && (
              <>
                {" · "}
                <Link href={adminDocumentHref(file.document_id)} className="underline">
                  Open {file.file_name}
                </Link>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Upload files into a collection, then follow their indexing. */
export function UploadSection() {
  const upload = useUploadDocuments();
  const [files, setFiles] = useState<File[]>([]);
  const [collection, setCollection] = useState<Collection>("regulatory");
  const [jobId, setJobId] = useState<string | null>(null);
  // A new key empties the file input once its files are sent.
  const [inputKey, setInputKey] = useState(0);
  const progress = useUploadProgress(jobId);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await upload.mutateAsync({ files, collection }).catch(() => null);
    if (result) {
      setJobId(result.job.id);
      setFiles([]);
      setInputKey((k) => k + 1);
    }
  };

  return (
    <Section id="upload" title="Upload documents">
      <form className="flex flex-wrap items-end gap-3" onSubmit={submit}>
        <Field
          key={inputKey}
          label="Files"
          type="file"
          multiple
          required
          accept={ACCEPT}
          className="min-w-0 grow basis-64"
          hint="PDF, Word (.docx), HTML, Markdown or plain text. Shown and indexed as plain text."
          error={fieldError(upload.error, "files")}
          onChange={(e) => setFiles(Array.from(e.target.files ?? []))}
        />
        <div className="flex flex-col gap-1">
          <label htmlFor="upload-collection" className="text-sm font-semibold">
            Collection
          </label>
          <select
            id="upload-collection"
            className="field"
            value={collection}
            onChange={(e) => setCollection(e.target.value as Collection)}
          >
            {COLLECTIONS.map((c) => (
              <option key={c} value={c}>
                {collectionName(c)}
              </option>
            ))}
          </select>
        </div>
        <button
          type="submit"
          className="btn-primary"
          disabled={upload.isPending || files.length === 0}
        >
          {upload.isPending ? "Uploading…" : "Upload"}
        </button>
      </form>
      <p className="text-sm text-slate-700">
        Who reads a collection: consumer health and drug labels reach every signed-in user;
        regulatory documents reach pharma staff and admins. A file with the same name in the same
        collection replaces the earlier version.
      </p>
      {upload.error !== null && !fieldError(upload.error, "files") && (
        <ErrorNotice error={upload.error} />
      )}
      {progress.error && (
        <ErrorNotice error={progress.error} onRetry={() => void progress.refetch()} />
      )}
      {progress.data && <UploadProgressView progress={progress.data} />}
    </Section>
  );
}
