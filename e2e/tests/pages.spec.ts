import { expect, test } from "@playwright/test";

import { screenshot } from "./support";

// These need no API: they pass against a static server of frontend/out.

test("the home page leads to the chat and the drug labels", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await page.getByRole("link", { name: "Ask a health question" }).click();
  await expect(page).toHaveURL(/\/chat\/?$/);
  await page.goto("/");
  await page.getByRole("link", { name: "Look up a drug label" }).click();
  await expect(page).toHaveURL(/\/drugs\/?$/);
});

test("the empty chat invites a question and sends only when there is one", async ({ page }) => {
  await page.goto("/chat");
  await expect(page.getByRole("heading", { name: "Ask a health question" })).toBeVisible();
  const box = page.getByRole("textbox", { name: "Your question" });
  const send = page.getByRole("button", { name: "Send" });
  await expect(send).toBeDisabled();

  await box.fill("   ");
  await expect(send).toBeDisabled();

  await box.fill("What is glaucoma?");
  await box.press("Shift+Enter");
  await box.pressSequentially("And how is it treated?");
  await expect(box).toHaveValue("What is glaucoma?\nAnd how is it treated?");
  await expect(send).toBeEnabled();

  await page.getByRole("button", { name: "What are the side effects of Lipitor?" }).click();
  await expect(box).toHaveValue("What are the side effects of Lipitor?");
  await expect(box).toBeFocused();
  await screenshot(page, "chat-empty");
});

test("the drug search form takes a brand or generic name", async ({ page }) => {
  await page.goto("/drugs");
  await expect(page.getByRole("heading", { level: 1, name: "Drug labels" })).toBeVisible();
  const search = page.getByRole("searchbox", { name: "Brand or generic name" });
  const button = page.getByRole("button", { name: "Search" });
  await expect(button).toBeDisabled();
  await search.fill("Lipitor");
  await expect(button).toBeEnabled();
  await screenshot(page, "drugs-form");
});

test("the about page credits MedQuAD and the FDA labels", async ({ page }) => {
  await page.goto("/about");
  await expect(
    page.getByText(
      "MedQuAD, Asma Ben Abacha and Dina Demner-Fushman, U.S. National Library of Medicine",
    ),
  ).toBeVisible();
  await expect(page.getByRole("link", { name: "CC BY 4.0" })).toHaveAttribute(
    "href",
    "https://creativecommons.org/licenses/by/4.0/",
  );
  await expect(page.getByRole("link", { name: "DailyMed" })).toBeVisible();
});

test("the app can be installed: manifest and icons are served", async ({ page, request }) => {
  await page.goto("/");
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  expect(href).toBe("/manifest.webmanifest");
  const manifest = await (await request.get(href as string)).json();
  expect(manifest.short_name).toBe("Lumen");
  expect(manifest.display).toBe("standalone");
  const sizes = manifest.icons.map((icon: { sizes: string }) => icon.sizes);
  expect(sizes).toEqual(expect.arrayContaining(["192x192", "512x512"]));
  for (const icon of manifest.icons as { src: string; type: string }[]) {
    const response = await request.get(icon.src);
    expect(response.ok(), icon.src).toBe(true);
    expect(response.headers()["content-type"]).toContain(icon.type);
  }
});

test("keyboard users can skip to the content and reach the question box", async ({ page }) => {
  await page.goto("/chat");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/#main$/);

  const box = page.getByRole("textbox", { name: "Your question" });
  for (let i = 0; i < 25 && !(await box.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press("Tab");
  }
  await expect(box).toBeFocused();
  await page.keyboard.type("What is asthma?");
  await expect(page.getByRole("button", { name: "Send" })).toBeEnabled();
});
