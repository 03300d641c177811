import { expect, test } from "@playwright/test";

import { SIGNED_OUT, staffContext } from "./accounts";
import { expectNoSeriousA11yViolations, screenshot } from "./support";

async function expectNoSidewaysScroll(page: import("@playwright/test").Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

test.describe("signed-out pages", () => {
  test.use({ storageState: SIGNED_OUT });
  for (const path of ["/signin", "/register", "/invite?token=example"]) {
    test(
      `${path} has no serious accessibility violations and fits 360 px`,
      { tag: "@api" },
      async ({ page }) => {
        await page.goto(path);
        await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
        await expect(page.getByRole("textbox").first()).toBeVisible();
        await expectNoSeriousA11yViolations(page);
        await page.setViewportSize({ width: 360, height: 740 });
        await expectNoSidewaysScroll(page);
      },
    );
  }

  test("the sign-in errors are announced and accessible", { tag: "@api" }, async ({ page }) => {
    await page.goto("/signin");
    await page.getByLabel("Email").fill("nobody@e2e.test");
    await page.getByLabel("Password").fill("not a real password here");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").filter({ hasText: /incorrect/ })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });
});

test(
  "the account page has no serious accessibility violations",
  { tag: "@api" },
  async ({ page }) => {
    await page.goto("/account");
    await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
    await expect(page.getByRole("list", { name: "Sessions" })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, "account");
    await page.setViewportSize({ width: 360, height: 740 });
    await expectNoSidewaysScroll(page);
  },
);

test(
  "the admin pages have no serious accessibility violations and fit 360 px",
  { tag: "@api" },
  async ({ browser }) => {
    const admin = await staffContext(browser, "admin");
    const page = await admin.newPage();
    for (const path of ["/admin/users", "/admin/audit"]) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await expect(page.getByRole("table")).toBeVisible();
      await expectNoSeriousA11yViolations(page);
      await screenshot(page, path.slice(1).replace("/", "-"));
      // The table scrolls inside the page, and its scroller is reachable by keyboard.
      await page.setViewportSize({ width: 360, height: 740 });
      await expectNoSidewaysScroll(page);
      await expectNoSeriousA11yViolations(page);
      await page.setViewportSize({ width: 1280, height: 720 });
    }
    await page.goto("/account");
    await expect(page.getByRole("region", { name: "Two-step verification" })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await admin.close();
  },
);

test(
  "the 2FA setup page has no serious accessibility violations",
  { tag: "@api" },
  async ({ page }) => {
    await page.goto("/account/2fa");
    await expect(page.getByLabel("Setup key")).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  },
);
