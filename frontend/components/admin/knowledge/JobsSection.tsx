"use client";

import { useState } from "react";

import { ErrorNotice } from "@/components/ErrorNotice";
import { when } from "@/components/format";
import { Section } from "@/components/Section";
import { isUnfinished, useAdminJobs, useCancelJob, useRerunJob } from "@/lib/api/knowledge";
import type { Job } from "@/lib/api/types";

import { jobKindName, NUMBER, progressText } from "./names";
import { DataTable } from "@/components/DataTable";

// An upload's job reads the files of that one request: it has nothing to do a second time.
const NOT_RERUNNABLE = new Set(["ingest_upload"]);

function statusText(job: Job): string {
  if (job.cancel_requested && isUnfinished(job)) return "stopping";
  return job.status;
}

function JobRow({ job }: { job: Job }) {
  const cancel = useCancelJob();
  const rerun = useRerunJob();
  const [message, setMessage] = useState<string | null>(null);
  const name = `${jobKindName(job.kind)} of ${when(job.created_at)}`;
  const act = async (action: typeof cancel, done: string) => {
    setMessage(null);
    const result = await action.mutateAsync(job.id).catch(() => null);
    if (result) setMessage(done);
  };
  return (
    <tr className="border-b border-slate-200 align-top">
      <th scope="row" className="py-2 pr-3 font-normal">
        {jobKindName(job.kind)}
        <div className="whitespace-nowrap text-xs text-slate-700">{when(job.created_at)}</div>
      </th>
      <td className="py-2 pr-3">{statusText(job)}</td>
      <td className="min-w-[10rem] py-2 pr-3">
        <progress
          className="h-2 w-full"
          aria-label={`Progress of ${name}`}
          max={job.total ?? undefined}
          value={job.total ? job.done : undefined}
        />
        <div className="text-xs text-slate-700">{progressText(job.done, job.total, job.unit)}</div>
      </td>
      <td className="py-2 pr-3">
        {job.failed_items > 0 && (
          <span className="font-semibold text-red-800">
            {NUMBER.format(job.failed_items)} failed
          </span>
        )}
        {job.error && <p className="break-words text-red-800">{job.error}</p>}
        {job.failed_items === 0 && !job.error && "none"}
      </td>
      <td className="whitespace-nowrap py-2 pr-3">{when(job.finished_at)}</td>
      <td className="py-2">
        <div className="flex flex-wrap gap-2">
          {isUnfinished(job) && !job.cancel_requested && (
            <button
              type="button"
              className="btn-secondary"
              aria-label={`Cancel ${name}`}
              disabled={cancel.isPending}
              onClick={() =>
                void act(cancel, "Cancellation asked: the job stops after its current batch.")
              }
            >
              Cancel
            </button>
          )}
          {!isUnfinished(job) && !NOT_RERUNNABLE.has(job.kind) && (
            <button
              type="button"
              className="btn-secondary"
              aria-label={`Re-ingest: run ${name} again`}
              disabled={rerun.isPending}
              onClick={() => void act(rerun, "Queued again: unchanged documents are skipped.")}
            >
              Run again
            </button>
          )}
        </div>
        <div role="status" className="text-sm text-teal-900">
          {message}
        </div>
        {cancel.error && <ErrorNotice error={cancel.error} />}
        {rerun.error && <ErrorNotice error={rerun.error} />}
      </td>
    </tr>
  );
}

/** Ingestion jobs, newest first, live while one runs; cancel one, or run a load again. */
export function JobsSection() {
  const jobs = useAdminJobs();
  const running = jobs.data?.items.filter(isUnfinished).length ?? 0;
  return (
    <Section id="jobs" title="Jobs">
      {jobs.isPending && (
        <p role="status" className="text-sm text-slate-700">
          Loading jobs…
        </p>
      )}
      {jobs.error && <ErrorNotice error={jobs.error} onRetry={() => void jobs.refetch()} />}
      {jobs.data && (
        <>
          <p className="text-sm text-slate-700">
            {running > 0
              ? `${running} running or waiting; this list updates by itself.`
              : "Nothing running."}{" "}
            Cancelling stops a job after the batch it is on; what was indexed stays.
          </p>
          <DataTable
            caption="Ingestion jobs"
            columns={["Job", "Status", "Progress", "Failures", "Finished", "Actions"]}
            widthClass="min-w-[48rem]"
          >
            {jobs.data.items.length === 0 && (
              <tr>
                <td colSpan={6} className="py-2 text-slate-700">
                  No jobs yet.
                </td>
              </tr>
            )}
            {jobs.data.items.map((job) => (
              <JobRow key={job.id} job={job} />
            ))}
          </DataTable>
        </>
      )}
    </Section>
  );
}
