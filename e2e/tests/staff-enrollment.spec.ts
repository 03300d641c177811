import { expect, test } from "@playwright/test";

import { SIGNED_OUT } from "./accounts";
import { enrollOnPage, expectSignedInAs, signInWithForm } from "./support-auth";

test.use({ storageState: SIGNED_OUT });

test(
  "a new pharma account must set up 2FA at its first sign-in",
  { tag: "@api" },
  async ({ page }) => {
    const email = process.env.E2E_NEWSTAFF_EMAIL;
    const password = process.env.E2E_NEWSTAFF_PASSWORD;
    test.skip(!email || !password, "E2E_NEWSTAFF_EMAIL is set by e2e/run.sh");
    const staff = { email: email as string, password: password as string };

    await page.goto("/chat");
    await expect(page).toHaveURL(/\/signin/);
    await signInWithForm(page, staff);
    await expect(page).toHaveURL(/\/account\/2fa\/?\?next=%2Fchat/);
    await expect(page.getByText("Your role (pharma) needs two-step verification")).toBeVisible();

    // Nothing else opens until then.
    await page.goto("/drugs");
    await expect(page).toHaveURL(/\/account\/2fa/);

    await enrollOnPage(page);
    await page.getByRole("button", { name: "I have saved them, continue" }).click();
    await expect(page).toHaveURL(/\/drugs\/?$/);
    await expectSignedInAs(page, staff.email);
    await expect(page.getByRole("searchbox", { name: "Brand or generic name" })).toBeVisible();
  },
);
