import { expect, test } from "@playwright/test";

import { newPatient, SIGNED_OUT } from "./accounts";
import { alert, BAD_CREDENTIALS, expectSignedInAs, signInWithForm } from "./support-auth";

test.use({ storageState: SIGNED_OUT });

test.describe("signing in and out", { tag: "@api" }, () => {
  test("the chat asks a signed-out visitor to sign in, then comes back to it", async ({ page }) => {
    const patient = await newPatient();
    await page.goto("/chat");
    await expect(page).toHaveURL(/\/signin\/?\?next=%2Fchat/);
    await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
    await signInWithForm(page, patient);
    await expect(page).toHaveURL(/\/chat\/?$/);
    await expectSignedInAs(page, patient.email);

    await page
      .getByRole("navigation", { name: "Account" })
      .getByRole("button", { name: "Sign out" })
      .click();
    await expect(page).toHaveURL(/\/signin\/?$/);
    const account = page.getByRole("navigation", { name: "Account" });
    await expect(account.getByRole("link", { name: "Sign in" })).toBeVisible();
    await expect(account.getByRole("link", { name: "Register" })).toBeVisible();

    await page.goto("/drugs");
    await expect(page).toHaveURL(/\/signin\/?\?next=%2Fdrugs/);
  });

  test("a wrong password is refused, and repeated failures lock the sign-in for a while", async ({
    page,
  }) => {
    const patient = await newPatient();
    await page.goto("/signin");
    await signInWithForm(page, { ...patient, password: "not the right password at all" });
    await expect(alert(page, BAD_CREDENTIALS)).toBeVisible();

    // Back-off after a few failures: the page says how long to wait.
    let locked = false;
    for (let attempt = 0; attempt < 6 && !locked; attempt++) {
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
      locked = (await alert(page, /Too many attempts, try again in \d+ s/).count()) > 0;
    }
    await expect(alert(page, /Too many attempts, try again in \d+ s/)).toBeVisible();
    await expect(page).toHaveURL(/\/signin/);
  });
});
