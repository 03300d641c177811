import { readFileSync } from "node:fs";

import { expect, test } from "@playwright/test";

import { staffContext, staffCredentials } from "./accounts";

test(
  "an admin filters and pages the audit log, verifies the chain and exports CSV",
  {
    tag: "@api",
  },
  async ({ browser }) => {
    const admin = await staffContext(browser, "admin");
    const page = await admin.newPage();
    await page.goto("/admin/audit");
    await expect(
      page.getByRole("heading", { level: 1, name: "Audit log" }),
    ).toBeVisible();
    const entries = page.getByRole("region", { name: "Entries" });
    const table = entries.getByRole("table", { name: "Audit log entries" });
    await expect(table.getByRole("row").nth(1)).toBeVisible();

    // Page through everything, ten rows at a time.
    await entries.getByLabel("Rows per page").selectOption("10");
    await expect(entries.getByText(/^Entries 1–10 of \d+$/)).toBeVisible();
    await entries.getByRole("button", { name: "Next page" }).click();
    await expect(entries.getByText(/^Entries 11–\d+ of \d+$/)).toBeVisible();
    await entries.getByRole("button", { name: "Previous page" }).click();
    await expect(entries.getByText(/^Entries 1–10 of \d+$/)).toBeVisible();

    // Only one kind of action: the sign-ins.
    const filter = page.getByRole("region", { name: "Filter" });
    const action = filter.getByLabel("Action");
    const options = await action.getByRole("option").allTextContents();
    const login = options.find(
      (o) => /login|sign.?in/i.test(o) && !/fail/i.test(o),
    );
    expect(login, options.join(", ")).toBeTruthy();
    await action.selectOption(login as string);
    // …of this admin, named by e-mail address.
    const { email } = staffCredentials("admin");
    await filter.getByLabel("Actor (e-mail or user id)").fill(email);
    await filter.getByRole("button", { name: "Apply filters" }).click();
    await expect(table).toHaveAttribute("aria-busy", "false");
    await expect(entries.getByText(/^Entries 1–\d+ of \d+$/)).toBeVisible();
    const rows = (await table.getByRole("row").all()).slice(1);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      await expect(row.getByRole("cell").nth(2)).toContainText(email);
      await expect(row.getByRole("cell").nth(3)).toHaveText(login as string);
    }

    await entries.getByRole("button", { name: "Verify chain" }).click();
    await expect(
      entries.getByText(/^Chain intact: \d+ entries checked/),
    ).toBeVisible();

    const download = page.waitForEvent("download");
    await entries.getByRole("link", { name: "Export CSV" }).click();
    const csv = readFileSync(await (await download).path(), "utf8");
    const [header, ...lines] = csv.trim().split(/\r?\n/);
    expect(header).toContain("action");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toContain(login as string);
    await admin.close();
  },
);
