import { expect, test, type Page } from "@playwright/test";

import { SIGNED_OUT, uniqueEmail } from "./accounts";
import { expectSignedInAs } from "./support-auth";

test.use({ storageState: SIGNED_OUT });

/** The organisation's own sign-in page (the OpenID provider run.sh starts). */
async function signInAtProvider(page: Page, login: string): Promise<void> {
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Password").fill("organisation password");
  await page.getByRole("button", { name: "Sign in" }).click();
}

test.describe("organisation sign-in (OpenID Connect)", { tag: "@api" }, () => {
  test("a pharma colleague signs in through the organisation and lands where they were going", async ({
    page,
  }) => {
    await page.goto("/drugs");
    await expect(page).toHaveURL(/\/signin\/?\?next=%2Fdrugs/);
    await page
      .getByRole("link", { name: /Sign in with your organisation/ })
      .click();
    await expect(page).toHaveURL(/127\.0\.0\.1:8766\//);
    // The provider vouched for a second factor (amr "mfa"): no TOTP asked in Lumen.
    await signInAtProvider(page, "pharma.user@example.org");
    await expect(page).toHaveURL(/\/drugs\/?$/);
    await expectSignedInAs(page, "pharma.user@example.org");
    await expect(
      page.getByRole("navigation", { name: "Account" }),
    ).toContainText("pharma");
  });

  test("someone without a role claim gets the patient role and reaches the chat", async ({
    page,
  }) => {
    const login = uniqueEmail("sso");
    await page.goto("/signin");
    await page
      .getByRole("link", { name: /Sign in with your organisation/ })
      .click();
    await signInAtProvider(page, login);
    await expect(page).toHaveURL(/\/chat\/?$/);
    await expectSignedInAs(page, login);
    await expect(
      page.getByRole("navigation", { name: "Account" }),
    ).toContainText("patient");
  });
});
