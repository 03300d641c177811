import { expect, type Page } from "@playwright/test";

import { type Credentials, freshCode } from "./accounts";

/** The server's answer to a wrong e-mail or password (one message: no account enumeration). */
export const BAD_CREDENTIALS = /The e-?mail (address )?or password is incorrect/;

/** An alert saying `text` (Next's route announcer is an alert too, so filter by text). */
export function alert(page: Page, text: string | RegExp) {
  return page.getByRole("alert").filter({ hasText: text });
}

/** Signs in through the form the way a person does; stops at the 2FA step if asked. */
export async function signInWithForm(page: Page, { email, password }: Credentials): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The header's account area once signed in. */
export async function expectSignedInAs(page: Page, email: string): Promise<void> {
  const account = page.getByRole("navigation", { name: "Account" });
  await expect(account.getByText(email)).toBeVisible();
  await expect(account.getByRole("button", { name: "Sign out" })).toBeVisible();
}

/** Enrolls on /account/2fa from the key shown on the page; returns it and the codes. */
export async function enrollOnPage(page: Page): Promise<{ secret: string; codes: string[] }> {
  await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible();
  const secret = (await page.getByLabel("Setup key").inputValue()).replace(/\s/g, "");
  expect(secret).toMatch(/^[A-Z2-7]+=*$/);
  await page.getByLabel("6-digit code").fill(await freshCode(secret));
  await page.getByRole("button", { name: "Turn on two-step verification" }).click();
  await expect(page.getByText("Two-step verification is on.")).toBeVisible();
  const codes = await page
    .getByRole("list", { name: "Recovery codes" })
    .getByRole("listitem")
    .allTextContents();
  expect(codes).toHaveLength(10);
  await expect(page.getByRole("button", { name: "Copy codes" })).toBeVisible();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download codes" }).click();
  expect((await download).suggestedFilename()).toBe("lumen-recovery-codes.txt");
  return { secret, codes };
}
