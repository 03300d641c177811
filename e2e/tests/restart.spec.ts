import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { type BrowserContext, expect, test } from "@playwright/test";

import { ask, finishedAnswer } from "./support";

// e2e/run.sh runs the @before-restart test, restarts the backend, then runs @after-restart.
const STATE = join(__dirname, "..", "artifacts", "restart-state.json");

test(
  "before a backend restart: a conversation is answered",
  { tag: ["@api", "@before-restart"] },
  async ({ page }) => {
    await page.goto("/chat");
    await ask(page, "What is glaucoma?");
    await finishedAnswer(page);
    // The anonymous owner cookie is the browser's identity: the same browser comes back.
    const storage = await page.context().storageState();
    writeFileSync(STATE, JSON.stringify({ url: page.url(), storage }));
  },
);

test(
  "after a backend restart: the conversation and its answer are still there",
  { tag: ["@api", "@after-restart"] },
  async ({ browser }) => {
    const { url, storage } = JSON.parse(readFileSync(STATE, "utf8")) as {
      url: string;
      storage: Awaited<ReturnType<BrowserContext["storageState"]>>;
    };
    const context = await browser.newContext({ storageState: storage });
    const page = await context.newPage();
    await page.goto(url);
    await expect(page.getByText("What is glaucoma?").first()).toBeVisible();
    const answer = await finishedAnswer(page);
    await expect(answer.getByRole("button", { name: /^Source \d+:/ }).first()).toBeVisible();
    await context.close();
  },
);
