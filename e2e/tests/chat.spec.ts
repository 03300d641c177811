import { expect, test } from "@playwright/test";

import { ask, finishedAnswer, screenshot } from "./support";

test.describe("chat", { tag: "@api" }, () => {
  test("a question gets a streamed answer whose citation opens the cited passage", async ({
    page,
  }) => {
    await page.goto("/chat");
    // An extractive answer can finish in 100 ms: hold the request briefly so that the
    // streaming state below is there to be seen.
    await page.route("**/messages", async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 800));
      await route.continue().catch(() => undefined);
    });
    await ask(page, "What are the symptoms of glaucoma?");

    // While the answer streams, the box cannot send again and offers Stop instead.
    await expect(page.getByRole("button", { name: "Stop" })).toBeVisible();
    const answer = await finishedAnswer(page);
    await page.unroute("**/messages");
    await expect(page.getByRole("button", { name: "Send" })).toBeVisible();
    await expect(page).toHaveURL(/[?&]c=[0-9a-f-]{36}/);
    await expect(answer.getByText(/not medical advice|medical advice/i)).toBeVisible();

    const chip = answer.getByRole("button", { name: /^Source \d+:/ }).first();
    await chip.click();
    const panel = page.getByRole("dialog");
    await expect(panel).toBeVisible();
    await expect(panel.getByText("Cited passage")).toBeVisible();
    const passage = panel.locator("mark");
    await expect(passage).not.toBeEmpty();
    await expect(panel.getByRole("link", { name: /Read the original/ })).toHaveAttribute(
      "href",
      /^https?:\/\//,
    );
    await screenshot(page, "chat-source-panel");

    await panel.getByRole("button", { name: "Close" }).click();
    await expect(panel).toBeHidden();
    await expect(chip).toBeFocused();
    await screenshot(page, "chat-answer");
  });

  test("the conversation survives a reload", async ({ page }) => {
    await page.goto("/chat");
    await ask(page, "What causes asthma?");
    await finishedAnswer(page);
    const url = page.url();

    await page.reload();
    await expect(page).toHaveURL(url);
    await expect(page.getByText("What causes asthma?").first()).toBeVisible();
    const answer = await finishedAnswer(page);
    await expect(answer.getByRole("button", { name: /^Source \d+:/ }).first()).toBeVisible();
    await expect(
      page
        .getByRole("navigation", { name: "Conversations" })
        .getByRole("link", { name: /What causes asthma\?/ }),
    ).toHaveAttribute("aria-current", "page");
  });

  test("a crisis message shows the escalation card with 988 and 911", async ({ page }) => {
    await page.goto("/chat");
    await ask(page, "I want to kill myself tonight");
    const card = page.getByRole("region", { name: "Get help now" });
    await expect(card).toBeVisible();
    await expect(card.getByText("Call or text 988", { exact: true })).toBeVisible();
    await expect(card.getByRole("link", { name: "Call 988" })).toHaveAttribute("href", "tel:988");
    await expect(card.getByRole("link", { name: "Text 988" })).toHaveAttribute("href", "sms:988");
    await expect(card.getByRole("link", { name: "Call 911" })).toHaveAttribute("href", "tel:911");
    await screenshot(page, "chat-escalation");
  });

  test("a weaker safety signal shows a calm support note beside a normal cited answer", async ({
    page,
  }) => {
    await page.goto("/chat");
    await ask(page, "What should I do if someone is having a heart attack?");
    const answer = await finishedAnswer(page);
    await expect(page.getByRole("region", { name: "Get help now" })).toHaveCount(0);
    await expect(answer.getByRole("button", { name: /^Source \d+:/ }).first()).toBeVisible();

    const note = answer.getByRole("complementary", { name: "Support is available" });
    await expect(note).toBeVisible();
    await expect(note.getByText(/if this is happening now/i)).toBeVisible();
    await expect(note.getByRole("link", { name: "Call 911" })).toHaveAttribute("href", "tel:911");
    await expect(note.getByRole("link", { name: "Call or text 988" })).toHaveAttribute(
      "href",
      "tel:988",
    );
    await expect(note.getByRole("link", { name: /Poison Control/ })).toHaveAttribute(
      "href",
      "tel:18002221222",
    );
    await screenshot(page, "chat-support-note");

    await page.reload();
    const reloaded = await finishedAnswer(page);
    await expect(
      reloaded.getByRole("complementary", { name: "Support is available" }),
    ).toBeVisible();
  });

  test("a stopped question is kept visibly and can be sent again", async ({ page }) => {
    await page.goto("/chat");
    await ask(page, "What is diabetes?");
    await finishedAnswer(page);

    // Hold the next question's request so Stop is pressed before any answer arrives.
    await page.route("**/messages", async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue().catch(() => undefined);
    });
    await ask(page, "How is diabetes treated?");
    await page.getByRole("button", { name: "Stop" }).click();
    await expect(page.getByText("Stopped", { exact: true })).toBeVisible();
    await page.unroute("**/messages");

    await page.getByRole("button", { name: /^(Retry|Regenerate)$/ }).click();
    const answer = await finishedAnswer(page);
    await expect(answer.getByText("Stopped", { exact: true })).toBeHidden();
  });

  test("a conversation can be deleted", async ({ page }) => {
    await page.goto("/chat");
    await ask(page, "What is migraine?");
    await finishedAnswer(page);
    page.once("dialog", (dialog) => void dialog.accept());
    const list = page.getByRole("navigation", { name: "Conversations" });
    await list.getByRole("button", { name: /Delete “What is migraine\?”/ }).click();
    await expect(page).toHaveURL(/\/chat\/?$/);
    await expect(list.getByRole("link", { name: /What is migraine\?/ })).toHaveCount(0);
  });

  test("keyboard only: ask, open a citation, close it", async ({ page }) => {
    await page.goto("/chat");
    const box = page.getByRole("textbox", { name: "Your question" });
    for (let i = 0; i < 60 && !(await box.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press("Tab");
    }
    await expect(box).toBeFocused();
    await page.keyboard.type("What are the symptoms of glaucoma?");
    await page.keyboard.press("Enter");
    const answer = await finishedAnswer(page);

    const chip = answer.getByRole("button", { name: /^Source \d+:/ }).first();
    for (let i = 0; i < 60 && !(await chip.evaluate((el) => el === document.activeElement)); i++) {
      await page.keyboard.press("Shift+Tab");
    }
    await expect(chip).toBeFocused();
    await page.keyboard.press("Enter");
    const panel = page.getByRole("dialog");
    await expect(panel).toBeVisible();
    await expect(panel.getByRole("button", { name: "Close" })).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(panel).toBeHidden();
    await expect(chip).toBeFocused();
  });
});
