import { expect, test } from "@playwright/test";

import { staffContext } from "./accounts";

test(
  "a pharma user creates an API token, uses it, and revokes it",
  { tag: "@api" },
  async ({ browser, playwright, baseURL }) => {
    const context = await staffContext(browser, "pharma");
    const page = await context.newPage();
    await page.goto("/account");
    const section = page.getByRole("region", { name: "API tokens" });
    const name = `Batch job ${Date.now()}`;
    await section.getByLabel("Token name").fill(name);
    await section.getByRole("checkbox", { name: /^drugs/ }).check();
    await section.getByLabel("Expires in (days)").fill("30");
    await section.getByRole("button", { name: "Create token" }).click();
    await expect(section.getByText(`Token “${name}” created`)).toBeVisible();
    const token = await section.getByLabel("New token").inputValue();
    expect(token).toMatch(/^lmn_/);
    await expect(section.getByRole("button", { name: "Copy token" })).toBeVisible();

    // A program calls the API with it: no cookie, no CSRF header.
    const program = await playwright.request.newContext({
      baseURL,
      storageState: { cookies: [], origins: [] },
      extraHTTPHeaders: { Authorization: `Bearer ${token}` },
    });
    expect((await program.get("/api/v1/search?q=glaucoma&k=3")).status()).toBe(200);

    const item = section
      .getByRole("list", { name: "Tokens" })
      .getByRole("listitem")
      .filter({ hasText: name });
    await item.getByRole("button", { name: `Revoke ${name}` }).click();
    await expect(item.getByText("Revoked", { exact: true })).toBeVisible();
    expect((await program.get("/api/v1/search?q=glaucoma&k=3")).status()).toBe(401);
    await program.dispose();
    await context.close();
  },
);
