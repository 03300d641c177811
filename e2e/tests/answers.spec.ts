import { expect, test } from "@playwright/test";

import { ask, finishedAnswer, screenshot } from "./support";

test.describe("answers", { tag: "@api" }, () => {
  test("a question about drugs Lumen holds no label for names them and where to read", async ({
    page,
  }) => {
    await page.goto("/chat");
    await ask(page, "Can I take ibuprofen if I'm on lisinopril?");

    const answer = await finishedAnswer(page);
    await expect(
      answer.getByText(/Lumen has no FDA label for Ibuprofen or Lisinopril/),
    ).toBeVisible();
    await expect(answer.getByRole("link", { name: "Lisinopril on MedlinePlus" })).toHaveAttribute(
      "href",
      /medlineplus/,
    );
    // Nothing near is quoted in its place: no citation chips.
    await expect(answer.getByRole("button", { name: /^Source \d+:/ })).toHaveCount(0);
    await screenshot(page, "chat-no-label");
  });

  test("a side-effects question leads with the label's side effects, cited", async ({ page }) => {
    await page.goto("/chat");
    await ask(page, "What are the side effects of Humira?");

    const answer = await finishedAnswer(page);
    const chip = answer.getByRole("button", { name: /^Source 1: .*HUMIRA/i }).first();
    await chip.click();
    const panel = page.getByRole("dialog");
    await expect(panel.getByText(/adverse reactions|side effects/i).first()).toBeVisible();
  });
});
