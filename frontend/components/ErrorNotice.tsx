import type { ReactNode } from "react";

import { ApiError } from "@/lib/api/problem";

type Props = {
  error: unknown;
  onRetry?: () => void;
  retryLabel?: string;
  children?: ReactNode;
  /** Words to use instead of the error's own (or when there is no ApiError). */
  title?: string;
  detail?: string;
};

/** An API error in words (its problem+json title and detail) with a way to try again. */
export function ErrorNotice({
  error,
  onRetry,
  retryLabel = "Retry",
  children,
  title: titleText,
  detail: detailText,
}: Props) {
  const problem = error instanceof ApiError ? error : null;
  const title = titleText ?? problem?.title ?? "Something went wrong";
  const detail =
    detailText ?? (problem ? problem.detail : "An unexpected error happened in this page.");
  return (
    <div
      role="alert"
      className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900"
    >
      <p className="font-semibold">{title}</p>
      {detail && <p className="mt-1">{detail}</p>}
      {(onRetry || children) && (
        <div className="mt-2 flex flex-wrap gap-2">
          {onRetry && (
            <button type="button" className="btn-secondary" onClick={onRetry}>
              {retryLabel}
            </button>
          )}
          {children}
        </div>
      )}
    </div>
  );
}
