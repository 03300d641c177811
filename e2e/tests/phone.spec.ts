import { expect, test } from "@playwright/test";

import { ask, finishedAnswer, screenshot } from "./support";

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

async function expectNoSidewaysScroll(page: import("@playwright/test").Page) {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

test("on a phone the chat fits the screen and folds the conversation list", async ({ page }) => {
  await page.goto("/chat");
  await expect(page.getByRole("textbox", { name: "Your question" })).toBeVisible();
  const toggle = page.getByRole("button", { name: "Conversations" });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(page.getByRole("link", { name: "New conversation" })).toBeHidden();
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(page.getByRole("link", { name: "New conversation" })).toBeVisible();
  await expectNoSidewaysScroll(page);
  await screenshot(page, "phone-chat-empty");
});

test("on a phone the drug search fits the screen", async ({ page }) => {
  await page.goto("/drugs");
  await expect(page.getByRole("searchbox", { name: "Brand or generic name" })).toBeVisible();
  await expectNoSidewaysScroll(page);
  await screenshot(page, "phone-drugs");
});

test("on a phone an answer and its source read well", { tag: "@api" }, async ({ page }) => {
  await page.goto("/chat");
  await ask(page, "What are the symptoms of glaucoma?");
  const answer = await finishedAnswer(page);
  await expectNoSidewaysScroll(page);
  await screenshot(page, "phone-chat-answer");
  await answer
    .getByRole("button", { name: /^Source \d+:/ })
    .first()
    .click();
  await expect(page.getByRole("dialog")).toBeVisible();
  await screenshot(page, "phone-source-panel");
});

test.describe("at the narrowest supported width", () => {
  test.use({ viewport: { width: 360, height: 740 } });
  for (const path of ["/", "/chat", "/drugs", "/about"]) {
    test(`${path} fits 360 px without sideways scrolling`, async ({ page }) => {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await expectNoSidewaysScroll(page);
    });
  }
});
