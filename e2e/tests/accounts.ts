/**
 * Accounts for the browser tests: fresh patients registered through the API, the staff
 * accounts e2e/run.sh creates with the CLI, and TOTP codes computed from the enrolled secret
 * (the `otpauth` package, RFC 6238).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import {
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  expect,
  request as playwrightRequest,
} from "@playwright/test";
import { Secret, TOTP } from "otpauth";

export const ARTIFACTS = join(__dirname, "..", "artifacts");
export const BASE_URL = process.env.LUMEN_E2E_URL ?? "http://127.0.0.1:8765";
/** The shared patient of the existing specs (written by global-setup.ts). */
export const PATIENT_STATE = join(ARTIFACTS, "patient-state.json");
export const SIGNED_OUT = { cookies: [], origins: [] };

export type Credentials = { email: string; password: string };
type AuthState = {
  status: "signed_in" | "mfa_required" | "mfa_enrollment_required";
  user: { id: string; email: string; role: string };
  csrf_token: string;
};

/** A unique address per call, so reruns against a kept database never collide. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}@e2e.test`;
}

/** A password the policy accepts: long, unrelated words, no e-mail in it. */
export function strongPassword(): string {
  return `Tundra maple ${randomBytes(5).toString("hex")} orbit`;
}

/** The CSRF token of a request context: GET /auth/csrf sets the cookie and returns it. */
export async function csrf(api: APIRequestContext): Promise<string> {
  const response = await api.get("/api/v1/auth/csrf");
  expect(response.ok(), await response.text()).toBe(true);
  return ((await response.json()) as { csrf_token: string }).csrf_token;
}

/** POST with the CSRF header, the way the web app sends every state-changing request. */
export async function post(api: APIRequestContext, path: string, data?: unknown) {
  return api.post(path, { data, headers: { "X-CSRF-Token": await csrf(api) } });
}

/** Registers a patient in `api`'s cookie jar (a page's `page.request` signs that page in). */
export async function registerPatient(
  api: APIRequestContext,
  credentials: Credentials = { email: uniqueEmail("patient"), password: strongPassword() },
): Promise<Credentials> {
  const response = await post(api, "/api/v1/auth/register", credentials);
  expect(response.status(), await response.text()).toBe(201);
  return credentials;
}

/** A patient registered in a throw-away request context: signed in nowhere. */
export async function newPatient(): Promise<Credentials> {
  const api = await playwrightRequest.newContext({ baseURL: BASE_URL });
  try {
    const credentials = await registerPatient(api);
    await post(api, "/api/v1/auth/logout");
    return credentials;
  } finally {
    await api.dispose();
  }
}

// TOTP codes are single use per 30 s step: remember the steps used (in a file, because
// Playwright may start a new worker process) and wait for the next step when needed.
const USED_STEPS = join(ARTIFACTS, "totp-steps.json");

function usedSteps(): Record<string, number> {
  return existsSync(USED_STEPS)
    ? (JSON.parse(readFileSync(USED_STEPS, "utf8")) as Record<string, number>)
    : {};
}

/** A TOTP code of `secret` whose 30 s step no earlier call has used. */
export async function freshCode(secret: string): Promise<string> {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
  const key = createHash("sha256").update(secret).digest("hex").slice(0, 16);
  for (;;) {
    const step = Math.floor(Date.now() / 30_000);
    // Too close to the end of a step, the server may already be in the next one.
    const late = Date.now() % 30_000 > 27_000;
    if ((usedSteps()[key] ?? -1) < step && !late) {
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(USED_STEPS, JSON.stringify({ ...usedSteps(), [key]: step }));
      return totp.generate();
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Password, then the 2FA code (or enrollment) through the API; returns the secret. */
export async function signInByApi(
  api: APIRequestContext,
  credentials: Credentials,
  secret: string | null,
): Promise<{ secret: string | null; recoveryCodes: string[] }> {
  const login = await post(api, "/api/v1/auth/login", credentials);
  expect(login.status(), await login.text()).toBe(200);
  const state = (await login.json()) as AuthState;
  if (state.status === "mfa_required") {
    if (!secret) throw new Error(`${credentials.email} has 2FA on but no secret is known`);
    const challenge = await post(api, "/api/v1/auth/2fa/challenge", {
      code: await freshCode(secret),
    });
    expect(challenge.status(), await challenge.text()).toBe(200);
    return { secret, recoveryCodes: [] };
  }
  if (state.status === "mfa_enrollment_required") {
    const setup = await post(api, "/api/v1/auth/2fa/setup");
    expect(setup.ok(), await setup.text()).toBe(true);
    const { secret: enrolled } = (await setup.json()) as { secret: string };
    const verify = await post(api, "/api/v1/auth/2fa/verify", { code: await freshCode(enrolled) });
    expect(verify.ok(), await verify.text()).toBe(true);
    const { recovery_codes } = (await verify.json()) as { recovery_codes: string[] };
    return { secret: enrolled, recoveryCodes: recovery_codes };
  }
  return { secret, recoveryCodes: [] };
}

export type Staff = "admin" | "pharma";

/** The staff accounts e2e/run.sh created with `lumen users create`. */
export function staffCredentials(who: Staff): Credentials {
  const email = process.env[`E2E_${who.toUpperCase()}_EMAIL`];
  const password = process.env[`E2E_${who.toUpperCase()}_PASSWORD`];
  if (!email || !password) {
    throw new Error(`E2E_${who.toUpperCase()}_EMAIL/_PASSWORD are unset: run e2e/run.sh`);
  }
  return { email, password };
}

type StaffFile = {
  secret: string | null;
  storage?: Awaited<ReturnType<BrowserContext["storageState"]>>;
};

function staffFile(email: string): string {
  return join(ARTIFACTS, `staff-${email.replace(/[^a-z0-9]/gi, "_")}.json`);
}

/**
 * A browser context signed in as `who`, 2FA done. The first call enrolls the account
 * through the API; later calls reuse the session while it lives, else sign in again with a
 * fresh TOTP code.
 */
export async function staffContext(browser: Browser, who: Staff): Promise<BrowserContext> {
  const credentials = staffCredentials(who);
  const file = staffFile(credentials.email);
  const saved: StaffFile = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as StaffFile)
    : { secret: null };
  if (saved.storage) {
    const context = await browser.newContext({ storageState: saved.storage });
    const me = await context.request.get("/api/v1/auth/me");
    if (me.ok() && ((await me.json()) as AuthState).status === "signed_in") return context;
    await context.close();
  }
  const context = await browser.newContext({ storageState: SIGNED_OUT });
  const { secret } = await signInByApi(context.request, credentials, saved.secret);
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(file, JSON.stringify({ secret, storage: await context.storageState() }));
  return context;
}
