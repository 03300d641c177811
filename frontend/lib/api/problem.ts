import type { ProblemFields } from "./types";

/** An API failure in words a person can act on: the problem+json fields (RFC 9457). */
export class ApiError extends Error implements ProblemFields {
  readonly status: number;
  readonly title: string;
  readonly detail: string;

  constructor({ status, title, detail }: ProblemFields) {
    super(detail || title);
    this.name = "ApiError";
    this.status = status;
    this.title = title;
    this.detail = detail;
  }

  /** True for 4xx answers: asking again unchanged will fail the same way. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

const FALLBACK_DETAIL: Record<number, string> = {
  404: "It may have been deleted, or the link is wrong.",
  429: "Too many requests. Wait a moment, then try again.",
  502: "Lumen's server is not answering. Try again in a moment.",
  503: "Lumen is starting up or busy. Try again in a moment.",
};

function isProblem(body: unknown): body is Partial<ProblemFields> {
  return typeof body === "object" && body !== null && ("title" in body || "detail" in body);
}

/** The error for a non-2xx response; `body` is its parsed JSON or raw text. */
export function problemFrom(response: Response, body: unknown): ApiError {
  const status = response.status;
  if (isProblem(body)) {
    return new ApiError({
      status: typeof body.status === "number" ? body.status : status,
      title: typeof body.title === "string" ? body.title : `Error ${status}`,
      detail: typeof body.detail === "string" ? body.detail : (FALLBACK_DETAIL[status] ?? ""),
    });
  }
  return new ApiError({
    status,
    title: response.statusText || `Error ${status}`,
    detail: FALLBACK_DETAIL[status] ?? "The server answered with an unexpected error.",
  });
}

/** The error for a request that never got an answer (offline, server down). */
export function networkError(): ApiError {
  return new ApiError({
    status: 0,
    title: "Cannot reach Lumen",
    detail: "The server could not be reached. Check your connection, then try again.",
  });
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/**
 * The data of an openapi-fetch call, or an `ApiError` thrown. Aborts are rethrown unchanged
 * so callers can tell "the user stopped" from "it failed".
 */
export async function unwrap<D>(
  pending: Promise<{ data?: D; error?: unknown; response: Response }>,
): Promise<D> {
  let result: { data?: D; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch (error) {
    if (isAbort(error)) throw error;
    throw networkError();
  }
  if (!result.response.ok) throw problemFrom(result.response, result.error);
  return result.data as D;
}
