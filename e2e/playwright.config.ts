import { defineConfig, devices } from "@playwright/test";

/**
 * Browser tests against a running Lumen (backend serving frontend/out on one origin).
 * `make test` starts the backend and sets LUMEN_E2E_URL. Tests tagged @api need it;
 * `npm run test:static` runs the others against a plain static server of frontend/out.
 *
 * The browser is Debian's Chromium: Playwright never downloads one here (no network).
 */
const baseURL = process.env.LUMEN_E2E_URL ?? "http://127.0.0.1:8765";

export default defineConfig({
  testDir: "./tests",
  // Registers the patient whose session every test starts with (tests/global-setup.ts).
  globalSetup: "./tests/global-setup.ts",
  outputDir: "./test-results",
  // Two shared cores: one browser at a time keeps answer streaming times realistic.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 20_000 },
  reporter: [["list"], ["html", { outputFolder: "playwright-report", open: "never" }]],
  use: {
    baseURL,
    storageState: "./artifacts/patient-state.json",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            // Without these, Chromium keeps trying to reach Google's hosts on a closed network.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
          ],
        },
      },
    },
  ],
});
