import { expect, test } from "@playwright/test";

import { finishedAnswer, screenshot } from "./support";

test.describe("drug labels", { tag: "@api" }, () => {
  test("searching Lipitor opens its label with its sections", async ({ page }) => {
    await page.goto("/drugs");
    await page.getByRole("searchbox", { name: "Brand or generic name" }).fill("Lipitor");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/q=Lipitor/);
    await page
      .getByRole("link", { name: /lipitor/i })
      .first()
      .click();

    await expect(page.getByRole("heading", { level: 1, name: /lipitor/i })).toBeVisible();
    const contents = page.getByRole("navigation", { name: "Label sections" });
    const links = contents.getByRole("link");
    expect(await links.count()).toBeGreaterThan(3);

    // Each section can be linked to: following its contents entry lands on its anchor.
    const first = links.nth(1);
    const name = (await first.textContent()) ?? "";
    await first.click();
    await expect(page).toHaveURL(/#[a-z0-9-]+$/);
    await expect(
      page.getByRole("region", { name: new RegExp(escape(name.trim())) }),
    ).toBeInViewport();
    await screenshot(page, "drug-label");
  });

  test("a boxed warning comes first and stands out", async ({ page }) => {
    await page.goto("/drugs?q=Humira");
    await page
      .getByRole("link", { name: /humira/i })
      .first()
      .click();
    const contents = page.getByRole("navigation", { name: "Label sections" });
    await expect(contents.getByRole("link").first()).toHaveText(/warning/i);
    await expect(page.getByText("Boxed warning", { exact: true })).toBeVisible();
  });

  test("a question about a label is answered from that label", async ({ page }) => {
    await page.goto("/drugs?q=Lipitor");
    await page
      .getByRole("link", { name: /lipitor/i })
      .first()
      .click();
    await page
      .getByRole("textbox", { name: "Ask about this label" })
      .fill("What are the common side effects?");
    await page.getByRole("button", { name: "Ask" }).click();

    await expect(page).toHaveURL(/\/chat\/?\?c=[0-9a-f-]{36}&set=/);
    await expect(page.getByText(/Asking about the .+ label only/)).toBeVisible();
    const answer = await finishedAnswer(page);
    await expect(answer.getByRole("button", { name: /^Source \d+:/ }).first()).toBeVisible();
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
