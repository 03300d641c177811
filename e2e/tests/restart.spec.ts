import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { expect, test } from "@playwright/test";

import { type Credentials, registerPatient, SIGNED_OUT } from "./accounts";
import { ask, finishedAnswer } from "./support";

// e2e/run.sh runs the @before-restart test, restarts the backend, then runs @after-restart.
// Sessions live in the embedded server's memory and end with it: the same person signs in
// again with the same credentials and finds the conversation.
const STATE = join(__dirname, "..", "artifacts", "restart-state.json");

test.use({ storageState: SIGNED_OUT });

test(
  "before a backend restart: a conversation is answered",
  { tag: ["@api", "@before-restart"] },
  async ({ page }) => {
    const credentials = await registerPatient(page.request);
    await page.goto("/chat");
    await ask(page, "What is glaucoma?");
    await finishedAnswer(page);
    writeFileSync(STATE, JSON.stringify({ url: page.url(), credentials }));
  },
);

test(
  "after a backend restart: the conversation and its answer are still there",
  { tag: ["@api", "@after-restart"] },
  async ({ page }) => {
    const { url, credentials } = JSON.parse(readFileSync(STATE, "utf8")) as {
      url: string;
      credentials: Credentials;
    };
    await page.goto(url);
    await expect(page).toHaveURL(/\/signin\/?\?next=/);
    await page.getByLabel("Email").fill(credentials.email);
    await page.getByLabel("Password").fill(credentials.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(url);
    await expect(page.getByText("What is glaucoma?").first()).toBeVisible();
    const answer = await finishedAnswer(page);
    await expect(answer.getByRole("button", { name: /^Source \d+:/ }).first()).toBeVisible();
  },
);
