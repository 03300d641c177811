/**
 * Double-submit CSRF: the server sets the readable `lumen_csrf` cookie and expects its current
 * value in `X-CSRF-Token` on every state-changing request. The value changes on sign-in,
 * sign-out and 2FA, so it is read from the cookie at request time, never cached.
 */
export const CSRF_COOKIE = "lumen_csrf";
export const CSRF_HEADER = "X-CSRF-Token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function readCookie(name: string): string | null {
  if (typeof document === "undefined") return null;
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

export function needsCsrf(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

let pending: Promise<string | null> | null = null;

/** The CSRF token: the cookie's value, or a fresh one from GET /auth/csrf when it is missing. */
export async function csrfToken(): Promise<string | null> {
  const current = readCookie(CSRF_COOKIE);
  if (current) return current;
  pending ??= fetch("/api/v1/auth/csrf", { credentials: "same-origin" })
    .then(async (response) => {
      if (!response.ok) return null;
      const body = (await response.json()) as { csrf_token?: string };
      return readCookie(CSRF_COOKIE) ?? body.csrf_token ?? null;
    })
    .catch(() => null)
    .finally(() => {
      pending = null;
    });
  return pending;
}
