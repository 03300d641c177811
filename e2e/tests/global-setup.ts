import { mkdirSync } from "node:fs";

import { request } from "@playwright/test";

import { ARTIFACTS, BASE_URL, PATIENT_STATE, registerPatient } from "./accounts";

/**
 * Every page but the public ones needs a session: register a fresh patient through the API
 * and hand its cookies to all tests (playwright.config.ts `storageState`). Tests that sign
 * out, delete or need their own account start signed out and make one.
 */
export default async function globalSetup(): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const api = await request.newContext({ baseURL: BASE_URL });
  try {
    // Static-only runs (no backend) have nothing to sign in to.
    const ready = await api.get("/api/v1/auth/csrf").catch(() => null);
    if (ready?.ok()) await registerPatient(api);
    await api.storageState({ path: PATIENT_STATE });
  } finally {
    await api.dispose();
  }
}
