import { expect, type Page, test } from "@playwright/test";

import { staffContext } from "./accounts";
import { expectNoSeriousA11yViolations, screenshot } from "./support";

async function expectNoSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(
    () =>
      document.documentElement.scrollWidth -
      document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

test(
  "an admin uploads a document, watches it being indexed, finds it, reads its chunks and deletes it",
  { tag: "@api" },
  async ({ browser }) => {
    // Indexing runs on the server's job worker: the first upload may wait for its model.
    test.setTimeout(180_000);
    const admin = await staffContext(browser, "admin");
    const page = await admin.newPage();
    await page.goto("/admin/users");
    await page
      .getByRole("navigation", { name: "Administration" })
      .getByRole("link", { name: "Knowledge base" })
      .click();
    await expect(
      page.getByRole("heading", { level: 1, name: "Knowledge base" }),
    ).toBeVisible();

    // The loaded sources, with their counts.
    const summary = page.getByRole("region", {
      name: "Sources and collections",
    });
    const labels = summary
      .getByRole("table", { name: "By source" })
      .getByRole("row", { name: /FDA drug labels/ });
    await expect(labels.getByRole("cell").first()).toHaveText("5");
    await expect(
      summary
        .getByRole("table", { name: "By collection" })
        .getByRole("row", { name: /Drug labels/ }),
    ).toBeVisible();
    await expectNoSeriousA11yViolations(page);

    // A text file with markup in it is refused, in words, and nothing is kept.
    const upload = page.getByRole("region", { name: "Upload documents" });
    const files = upload.getByLabel("Files", { exact: true });
    await files.setInputFiles({
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("Store below 25 °C.\n<script>alert('x')</script>\n"),
    });
    await upload.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(upload.getByRole("alert")).toContainText(
      /Document not readable|Unsupported document type/,
    );

    // A small standard operating procedure, written here, named uniquely for this run.
    const stamp = Date.now().toString(36);
    const title = `Cold chain SOP ${stamp}`;
    const fileName = `cold-chain-sop-${stamp}.md`;
    const markdown = [
      `# ${title}`,
      "",
      "## Receiving",
      "",
      "Read the data logger before signing for a shipment; reject it after any excursion.",
      "",
      "## Storage",
      "",
      "Keep vaccines between 2 and 8 °C and record the temperature twice a day.",
      "",
    ].join("\n");
    await files.setInputFiles({
      name: fileName,
      mimeType: "text/markdown",
      buffer: Buffer.from(markdown),
    });
    await upload
      .getByLabel("Collection")
      .selectOption({ label: "Regulatory and SOPs" });
    await upload.getByRole("button", { name: "Upload", exact: true }).click();
    await expect(upload.getByRole("alert")).toHaveCount(0);
    await expect(upload.getByRole("status")).toHaveText(
      "Upload finished: 1 of 1 files indexed.",
      {
        timeout: 150_000,
      },
    );
    await expect(
      upload.getByRole("listitem").filter({ hasText: fileName }),
    ).toContainText(`${fileName}: indexed`);

    await expectNoSeriousA11yViolations(page);
    await screenshot(page, "admin-knowledge");
    // On a phone the tables scroll sideways inside the page, each scroller reachable by keyboard.
    await page.setViewportSize({ width: 360, height: 740 });
    await expectNoSidewaysScroll(page);
    await expectNoSeriousA11yViolations(page);
    await page.setViewportSize({ width: 1280, height: 720 });

    // The upload's job is listed as done.
    const jobs = page.getByRole("region", { name: "Jobs" });
    const uploadJob = jobs.getByRole("row", { name: /^Upload/ }).first();
    await expect(uploadJob.getByRole("cell").first()).toHaveText("succeeded");
    await expect(uploadJob).toContainText("1 of 1 files");

    // Found by a word of its title, among uploads updated today.
    const documents = page.getByRole("region", {
      name: "Documents",
      exact: true,
    });
    const search = documents.getByRole("searchbox", {
      name: "Search title or id",
    });
    await search.fill(stamp);
    await documents
      .getByLabel("Source filter")
      .selectOption({ label: "Uploaded files" });
    await documents
      .getByLabel("Updated from")
      .fill(new Date().toLocaleDateString("en-CA"));
    await documents
      .getByRole("button", { name: "Search", exact: true })
      .click();
    await expect(documents.getByRole("status")).toHaveText(
      "1–1 of 1 documents",
    );
    await documents.getByRole("link", { name: title }).click();

    // As indexed: its sections, and its chunks with their text.
    await expect(
      page.getByRole("heading", { level: 1, name: title }),
    ).toBeVisible();
    const sections = page.getByRole("region", { name: /^Sections/ });
    await expect(
      sections.getByRole("listitem").filter({ hasText: "Receiving" }),
    ).toBeVisible();
    await expect(
      sections.getByRole("listitem").filter({ hasText: "Storage" }),
    ).toBeVisible();
    const chunks = page.getByRole("region", { name: /^Chunks/ });
    await expect(
      chunks
        .getByRole("listitem")
        .filter({ hasText: "Read the data logger" })
        .first(),
    ).toBeVisible();
    await expectNoSeriousA11yViolations(page);
    await screenshot(page, "admin-knowledge-document");

    // Deleted after a confirmation, and gone.
    await page.getByRole("button", { name: "Delete document" }).click();
    const question = page.getByRole("group", { name: `Delete “${title}”?` });
    await expect(
      question.getByRole("button", { name: "Keep it" }),
    ).toBeFocused();
    // By keyboard: from "Keep it" back to "Yes, delete it", then Enter.
    await page.keyboard.press("Shift+Tab");
    await expect(
      question.getByRole("button", { name: "Yes, delete it" }),
    ).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(
      page.getByRole("status").filter({ hasText: "Deleted" }),
    ).toBeVisible();
    await page
      .getByRole("link", { name: "Back to the knowledge base" })
      .click();
    await search.fill(stamp);
    await search.press("Enter");
    await expect(documents.getByRole("status")).toHaveText(
      "No documents match.",
    );
    await admin.close();
  },
);

test(
  "a patient can neither open the knowledge base page nor call its API",
  { tag: "@api" },
  async ({ page }) => {
    await page.goto("/admin/knowledge");
    await expect(
      page.getByRole("heading", { level: 1, name: "Not allowed" }),
    ).toBeVisible();
    await expect(
      page.getByRole("region", { name: "Upload documents" }),
    ).toHaveCount(0);
    for (const path of [
      "/api/v1/admin/knowledge/summary",
      "/api/v1/admin/knowledge/documents",
    ]) {
      const refused = await page.request.get(path);
      expect(refused.status(), path).toBe(403);
    }
  },
);
