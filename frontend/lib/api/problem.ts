import type { ProblemFields } from "./types";

/** An API failure in words a person can act on: the problem+json fields (RFC 9457). */
export class ApiError extends Error implements ProblemFields {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** The input at fault in a 422 (`email`, `password`, `code` …), when the server names one. */
  readonly field: string | null;
  /** A machine-readable reason (`csrf`, `mfa_required`, `mfa_enrollment_required` …). */
  readonly code: string | null;
  /** Seconds to wait before asking again (429: Retry-After or `retry_after_s`). */
  readonly retryAfterS: number | null;

  constructor({
    status,
    title,
    detail,
    field = null,
    code = null,
    retryAfterS = null,
  }: ProblemFields & {
    field?: string | null;
    code?: string | null;
    retryAfterS?: number | null;
  }) {
    super(detail || title);
    this.name = "ApiError";
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.field = field;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }

  /** True for 4xx answers: asking again unchanged will fail the same way. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

/** The server's message for input `field` when `error` is a problem naming it, else null. */
export function fieldError(error: unknown, field: string): string | null {
  return error instanceof ApiError && error.field === field ? error.detail : null;
}

const FALLBACK_DETAIL: Record<number, string> = {
  404: "It may have been deleted, or the link is wrong.",
  429: "Too many requests. Wait a moment, then try again.",
  502: "Lumen's server is not answering. Try again in a moment.",
  503: "Lumen is starting up or busy. Try again in a moment.",
};

type ProblemBody = Partial<ProblemFields> & {
  field?: unknown;
  code?: unknown;
  retry_after_s?: unknown;
  errors?: unknown;
};

function isProblem(body: unknown): body is ProblemBody {
  return typeof body === "object" && body !== null && ("title" in body || "detail" in body);
}

function retryAfterOf(response: Response, body: ProblemBody | null): number | null {
  if (body && typeof body.retry_after_s === "number") return Math.ceil(body.retry_after_s);
  const header = response.headers.get("Retry-After");
  if (header && /^\d+$/.test(header.trim())) return Number(header.trim());
  if (header) {
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
  return null;
}

/** The error for a non-2xx response; `body` is its parsed JSON or raw text. */
export function problemFrom(response: Response, body: unknown): ApiError {
  const status = response.status;
  if (isProblem(body)) {
    const retryAfterS = retryAfterOf(response, body);
    let detail = typeof body.detail === "string" ? body.detail : (FALLBACK_DETAIL[status] ?? "");
    if (status === 429 && retryAfterS !== null) {
      detail = `Too many attempts, try again in ${retryAfterS} s.`;
    }
    let field = typeof body.field === "string" ? body.field : null;
    // A schema validation problem lists its errors: name the first input at fault.
    const first = Array.isArray(body.errors) ? (body.errors[0] as unknown) : undefined;
    if (!field && typeof first === "object" && first !== null) {
      const { loc, msg } = first as { loc?: unknown; msg?: unknown };
      const last = Array.isArray(loc) ? loc[loc.length - 1] : undefined;
      if (typeof last === "string") field = last;
      if (typeof msg === "string" && msg) detail = `${field ? `${field}: ` : ""}${msg}`;
    }
    return new ApiError({
      status: typeof body.status === "number" ? body.status : status,
      title: typeof body.title === "string" ? body.title : `Error ${status}`,
      detail,
      field,
      code: typeof body.code === "string" ? body.code : null,
      retryAfterS,
    });
  }
  const retryAfterS = retryAfterOf(response, null);
  return new ApiError({
    status,
    title: response.statusText || `Error ${status}`,
    detail:
      status === 429 && retryAfterS !== null
        ? `Too many attempts, try again in ${retryAfterS} s.`
        : (FALLBACK_DETAIL[status] ?? "The server answered with an unexpected error."),
    retryAfterS,
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
