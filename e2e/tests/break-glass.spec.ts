import { expect, test } from "@playwright/test";

import { registerPatient, SIGNED_OUT, staffContext } from "./accounts";
import { ask, finishedAnswer } from "./support";

test.use({ storageState: SIGNED_OUT });

test(
  "an admin opens a patient's conversation with a reason; the patient sees it",
  {
    tag: "@api",
  },
  async ({ page, browser }) => {
    await registerPatient(page.request);
    await page.goto("/chat");
    await ask(page, "What is asthma?");
    await finishedAnswer(page);
    const conversationId = new URL(page.url()).searchParams.get("c") as string;
    expect(conversationId).toMatch(/^[0-9a-f-]{36}$/);

    const admin = await staffContext(browser, "admin");
    const adminPage = await admin.newPage();
    await adminPage.goto("/admin/audit");
    const form = adminPage.getByRole("region", { name: "Break glass: read a conversation" });
    const reason = "Patient reported a safety incident, ticket 4711";
    await form.getByLabel("Conversation id").fill(conversationId);
    await form.getByLabel("Reason (at least 20 characters)").fill(reason);
    await form.getByRole("button", { name: "Open conversation read-only" }).click();

    const banner = adminPage.getByRole("region", { name: "Break-glass access" });
    await expect(banner).toContainText("read-only");
    await expect(banner).toContainText(reason);
    await expect(adminPage.getByText("What is asthma?").first()).toBeVisible();
    await expect(adminPage.getByRole("textbox", { name: "Your question" })).toHaveCount(0);
    await admin.close();

    await page.goto("/account");
    const access = page.getByRole("region", { name: "Administrator access to your conversations" });
    await expect(access.getByRole("cell", { name: reason })).toBeVisible();
  },
);
