import { expect, test } from "@playwright/test";

import { type Credentials, freshCode, registerPatient, SIGNED_OUT } from "./accounts";
import { alert, enrollOnPage, expectSignedInAs, signInWithForm } from "./support-auth";

test.use({ storageState: SIGNED_OUT });
test.describe.configure({ mode: "serial" });

test.describe("two-step verification for a patient", { tag: "@api" }, () => {
  test.setTimeout(120_000);
  let patient: Credentials;
  let secret = "";
  let codes: string[] = [];

  test("a patient turns on 2FA from the account page", async ({ page }) => {
    patient = await registerPatient(page.request);
    await page.goto("/account");
    const section = page.getByRole("region", { name: "Two-step verification" });
    await expect(section.getByText(/^Off\./)).toBeVisible();
    await section.getByRole("link", { name: "Set up two-step verification" }).click();
    await expect(page).toHaveURL(/\/account\/2fa/);
    ({ secret, codes } = await enrollOnPage(page));
    await page.getByRole("button", { name: "I have saved them, continue" }).click();
    await expect(page).toHaveURL(/\/account\/?$/);
    await expect(
      page.getByRole("region", { name: "Two-step verification" }).getByText(/^On\./),
    ).toBeVisible();
  });

  test("signing in then asks for the code from the app", async ({ page }) => {
    await page.goto("/signin?next=%2Faccount");
    await signInWithForm(page, patient);
    await expect(
      page.getByRole("heading", { level: 1, name: "Two-step verification" }),
    ).toBeVisible();
    await page.getByLabel("Authentication code").fill("000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(alert(page, /code/i)).toBeVisible();
    await page.getByLabel("Authentication code").fill(await freshCode(secret));
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page).toHaveURL(/\/account\/?$/);
    await expectSignedInAs(page, patient.email);
  });

  test("a recovery code signs in once instead of the app's code", async ({ page }) => {
    const code = codes[0] as string;
    await page.goto("/signin");
    await signInWithForm(page, patient);
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await page.getByLabel("Recovery code").fill(code);
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(page).toHaveURL(/\/chat\/?$/);
    await expectSignedInAs(page, patient.email);

    // The same recovery code does not work twice.
    await page
      .getByRole("navigation", { name: "Account" })
      .getByRole("button", { name: "Sign out" })
      .click();
    await expect(page).toHaveURL(/\/signin/);
    await signInWithForm(page, patient);
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await page.getByLabel("Recovery code").fill(code);
    await page.getByRole("button", { name: "Verify" }).click();
    await expect(alert(page, /code/i)).toBeVisible();
    await expect(page).toHaveURL(/\/signin/);
  });
});
