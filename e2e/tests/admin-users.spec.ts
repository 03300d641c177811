import { expect, test } from "@playwright/test";

import { SIGNED_OUT, staffContext, strongPassword, uniqueEmail } from "./accounts";
import { expectSignedInAs } from "./support-auth";

test(
  "an admin invites a user, who accepts; the admin changes the role and disables them",
  {
    tag: "@api",
  },
  async ({ browser }) => {
    const admin = await staffContext(browser, "admin");
    const page = await admin.newPage();
    await page.goto("/account");
    await page
      .getByRole("navigation", { name: "Account" })
      .getByRole("link", { name: "Admin" })
      .click();
    await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();

    const email = uniqueEmail("invited");
    const invite = page.getByRole("region", { name: "Invite someone" });
    await invite.getByLabel("Email to invite").fill(email);
    await invite.getByLabel("Role").selectOption("patient");
    await invite.getByRole("button", { name: "Create invitation" }).click();
    const link = await invite.getByLabel("Invitation link").inputValue();
    expect(link).toMatch(/\/invite\?token=/);
    await expect(invite.getByRole("button", { name: "Copy link" })).toBeVisible();

    // The invited person opens the link in their own browser.
    const guest = await browser.newContext({ storageState: SIGNED_OUT });
    const guestPage = await guest.newPage();
    await guestPage.goto(link);
    await expect(
      guestPage.getByRole("heading", { level: 1, name: "Accept your invitation" }),
    ).toBeVisible();
    await guestPage.getByLabel("Password").fill(strongPassword());
    await guestPage.getByRole("button", { name: "Set password and sign in" }).click();
    await expect(guestPage).toHaveURL(/\/chat\/?$/);
    await expectSignedInAs(guestPage, email);
    await guest.close();

    const users = page.getByRole("region", { name: "Users" });
    await users.getByRole("searchbox", { name: "Search by email" }).fill(email);
    await users.getByRole("button", { name: "Search" }).click();
    const row = users.getByRole("row").filter({ hasText: email });
    await expect(row).toHaveCount(1);
    await expect(row.getByRole("cell", { name: "active" })).toBeVisible();

    await row.getByLabel(`Role of ${email}`).selectOption("pharma");
    await expect(row.getByText(`${email} is now pharma.`)).toBeVisible();
    await users.getByLabel("Role filter").selectOption("pharma");
    await users.getByRole("button", { name: "Search" }).click();
    await expect(row.getByLabel(`Role of ${email}`)).toHaveValue("pharma");

    await row.getByRole("button", { name: `Disable ${email}` }).click();
    await expect(row.getByRole("cell", { name: "disabled" })).toBeVisible();
    await row.getByRole("button", { name: `Enable ${email}` }).click();
    await expect(row.getByRole("cell", { name: "active" })).toBeVisible();
    await admin.close();
  },
);
