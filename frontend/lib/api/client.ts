import createClient, { type Middleware } from "openapi-fetch";

import { CSRF_HEADER, csrfToken, needsCsrf } from "./csrf";
import type { paths } from "./schema";

/**
 * The typed API client. Paths in the schema carry their `/api/v1` prefix, so the base URL is
 * the page's own origin: the static export is served by the backend, and `next dev` proxies
 * /api to it (next.config.mjs).
 */
export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });

/**
 * Answers where 401 is part of the flow (wrong password or code at sign-in, "not signed in
 * yet"), not an expired session: the page that asked shows the problem itself. Signed-in
 * re-authentication (password change, 2FA off, account deletion) answers 422 instead.
 */
const OWN_401 = [
  "/api/v1/auth/me",
  "/api/v1/auth/login",
  "/api/v1/auth/register",
  "/api/v1/auth/2fa/challenge",
  "/api/v1/auth/invitations/accept",
  "/api/v1/auth/logout",
];

/** Pages a signed-out visitor may stay on. */
const PUBLIC_PAGES = ["/signin", "/register", "/invite"];

/** `/signin?next=<path+query>` for the page being shown (or `next` given). */
export function signInHref(next?: string): string {
  const here =
    next ??
    (typeof window === "undefined" ? "/" : `${window.location.pathname}${window.location.search}`);
  return `/signin?${new URLSearchParams({ next: here }).toString()}`;
}

/** Only same-origin paths are followed after signing in (no open redirect). */
export function safeNext(next: string | null | undefined, fallback = "/chat"): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return fallback;
  }
  return next;
}

function onPublicPage(): boolean {
  const path = window.location.pathname.replace(/\/$/, "");
  return PUBLIC_PAGES.some((p) => path === p);
}

const sessionMiddleware: Middleware = {
  async onRequest({ request }) {
    if (!needsCsrf(request.method)) return undefined;
    const token = await csrfToken();
    if (token) request.headers.set(CSRF_HEADER, token);
    return request;
  },
  async onResponse({ request, response }) {
    if (typeof window === "undefined") return undefined;
    const path = new URL(request.url, window.location.origin).pathname;
    if (response.status === 401) {
      if (!OWN_401.includes(path) && !onPublicPage()) window.location.assign(signInHref());
      return undefined;
    }
    // Signed in with a password, but 2FA is not done: finish it first.
    if (response.status === 403 && !onPublicPage()) {
      const body = (await response
        .clone()
        .json()
        .catch(() => null)) as { code?: unknown } | null;
      const onEnrollment = window.location.pathname.replace(/\/$/, "") === "/account/2fa";
      if (body?.code === "mfa_enrollment_required" && !onEnrollment) {
        const next = `${window.location.pathname}${window.location.search}`;
        window.location.assign(`/account/2fa?${new URLSearchParams({ next }).toString()}`);
      } else if (body?.code === "mfa_required") {
        window.location.assign(signInHref());
      }
    }
    return undefined;
  },
};

api.use(sessionMiddleware);
