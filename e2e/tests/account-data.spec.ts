import { readFileSync } from "node:fs";

import { expect, test } from "@playwright/test";

import { post, registerPatient, SIGNED_OUT } from "./accounts";
import { alert, BAD_CREDENTIALS, signInWithForm } from "./support-auth";

test.use({ storageState: SIGNED_OUT });

test(
  "a patient downloads their data, then deletes their account",
  { tag: "@api" },
  async ({ page }) => {
    const patient = await registerPatient(page.request);
    const created = await post(page.request, "/api/v1/conversations", { title: "My knee hurts" });
    expect(created.status(), await created.text()).toBe(201);

    await page.goto("/account");
    await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
    const data = page.getByRole("region", { name: "Your data" });
    const download = page.waitForEvent("download");
    await data.getByRole("link", { name: "Download my data" }).click();
    const file = await download;
    const exported = JSON.parse(readFileSync(await file.path(), "utf8")) as {
      user: { email: string };
      conversations: { title: string | null }[];
    };
    expect(exported.user.email).toBe(patient.email);
    expect(exported.conversations.map((c) => c.title)).toContain("My knee hurts");

    await data.getByRole("button", { name: "Delete my account" }).click();
    await data.getByLabel("Your password, to confirm").fill("not my password at all");
    await data.getByRole("button", { name: "Delete my account permanently" }).click();
    await expect(data.getByRole("alert").filter({ hasText: /password/i })).toBeVisible();
    await data.getByLabel("Your password, to confirm").fill(patient.password);
    await data.getByRole("button", { name: "Delete my account permanently" }).click();
    await expect(page).toHaveURL(/\/signin/);
    await expect(page.getByText("Your account and your conversations were deleted.")).toBeVisible();

    await signInWithForm(page, patient);
    await expect(alert(page, BAD_CREDENTIALS)).toBeVisible();
  },
);
