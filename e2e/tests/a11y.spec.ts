import { expect, test } from "@playwright/test";

import { ask, expectNoSeriousA11yViolations, finishedAnswer } from "./support";

for (const path of ["/", "/chat", "/drugs", "/about"]) {
  test(`${path} has no serious or critical accessibility violations`, async ({ page }) => {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  });
}

test(
  "an answer and its open source panel have no serious accessibility violations",
  { tag: "@api" },
  async ({ page }) => {
    await page.goto("/chat");
    await ask(page, "What are the symptoms of glaucoma?");
    const answer = await finishedAnswer(page);
    await expectNoSeriousA11yViolations(page);
    await answer
      .getByRole("button", { name: /^Source \d+:/ })
      .first()
      .click();
    await expect(page.getByRole("dialog")).toBeVisible();
    await expectNoSeriousA11yViolations(page);
  },
);

test("a drug label has no serious accessibility violations", { tag: "@api" }, async ({ page }) => {
  await page.goto("/drugs?q=Lipitor");
  await page
    .getByRole("link", { name: /lipitor/i })
    .first()
    .click();
  await expect(page.getByRole("navigation", { name: "Label sections" })).toBeVisible();
  await expectNoSeriousA11yViolations(page);
});
