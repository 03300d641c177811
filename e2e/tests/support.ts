import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const ARTIFACTS = join(__dirname, "..", "artifacts");

/** Saves a full-page screenshot as e2e/artifacts/<name>.png (gitignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Fails on any axe-core violation of impact serious or critical (WCAG 2.1 A/AA rules). */
export async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
    .analyze();
  const serious = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    );
  expect(serious, serious.join("\n")).toEqual([]);
}

/** Asks a question in the chat's box the way a person does: type, then Enter. */
export async function ask(page: Page, question: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Your question" });
  await box.fill(question);
  await box.press("Enter");
}

/** The last answer on the page, once it has finished streaming. */
export async function finishedAnswer(page: Page) {
  const answer = page.getByRole("article", { name: "Answer" }).last();
  await expect(answer).toBeVisible();
  await expect(answer).toHaveAttribute("aria-busy", "false", { timeout: 45_000 });
  return answer;
}
