"use client";

import { useJobs } from "@/lib/api/queries";
import { useAuth } from "@/lib/auth";

const NUMBER = new Intl.NumberFormat();

/** While the knowledge base is still loading, say so: answers may miss sources meanwhile. */
export function IngestionBanner() {
  // Jobs are read by signed-in users only: a 401 here would send a visitor to /signin.
  const { signedIn } = useAuth();
  const jobs = useJobs(signedIn);
  const running =
    jobs.data?.items.filter((j) => j.status === "queued" || j.status === "running") ?? [];
  if (running.length === 0) return null;
  return (
    <div
      role="status"
      className="border-b border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950"
    >
      <p className="mx-auto max-w-6xl">
        The knowledge base is still loading, so answers may miss some sources:{" "}
        {running
          .map((j) =>
            j.total
              ? `${NUMBER.format(j.done)} of ${NUMBER.format(j.total)} ${j.unit}`
              : `${NUMBER.format(j.done)} ${j.unit}`,
          )
          .join("; ")}
        .
      </p>
    </div>
  );
}
