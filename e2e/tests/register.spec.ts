import { expect, test } from "@playwright/test";

import { SIGNED_OUT, strongPassword, uniqueEmail } from "./accounts";
import { alert, expectSignedInAs } from "./support-auth";

test.use({ storageState: SIGNED_OUT });

test(
  "a visitor registers; a too-short and a common password are refused with the reason",
  {
    tag: "@api",
  },
  async ({ page }) => {
    const email = uniqueEmail("register");
    await page.goto("/");
    await page
      .getByRole("navigation", { name: "Account" })
      .getByRole("link", { name: "Register" })
      .click();
    await expect(page.getByRole("heading", { level: 1, name: "Create an account" })).toBeVisible();
    await expect(page.getByText("At least 12 characters", { exact: false })).toBeVisible();

    await page.getByLabel("Email").fill(email);
    const password = page.getByLabel("Password");
    await password.fill("short pass");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(alert(page, "at least 12 characters")).toBeVisible();
    await expect(password).toHaveAttribute("aria-invalid", "true");

    await password.fill("password1234");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(alert(page, /too common|easy to guess/i)).toBeVisible();

    await password.fill(strongPassword());
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/chat\/?$/);
    await expectSignedInAs(page, email);
    await expect(page.getByRole("textbox", { name: "Your question" })).toBeVisible();
  },
);
