import { readFileSync } from "node:fs";

import { expect, test, type Download } from "@playwright/test";

import { registerPatient, SIGNED_OUT } from "./accounts";
import { ask, finishedAnswer } from "./support";

type Resource = { resourceType: string; [key: string]: unknown };
type Bundle = {
  resourceType: string;
  type: string;
  entry: { resource: Resource }[];
};

async function bundleOf(download: Download): Promise<Bundle> {
  expect(download.suggestedFilename()).toMatch(/\.fhir\.json$/);
  return JSON.parse(readFileSync(await download.path(), "utf8")) as Bundle;
}

function resources(bundle: Bundle, kind: string): Resource[] {
  return bundle.entry
    .map((e) => e.resource)
    .filter((r) => r.resourceType === kind);
}

function texts(bundle: Bundle): string[] {
  return resources(bundle, "Communication").flatMap((c) =>
    ((c.payload as { contentString?: string }[] | undefined) ?? []).map(
      (p) => p.contentString ?? "",
    ),
  );
}

// A fresh patient for each test: the account page exports every conversation it has.
test.use({ storageState: SIGNED_OUT });

test.describe("FHIR export for a doctor", { tag: "@api" }, () => {
  test("a patient downloads a conversation as a FHIR Bundle of Communications", async ({
    page,
  }) => {
    await registerPatient(page.request);
    await page.goto("/chat");
    const question = "What are the side effects of Lipitor?";
    await ask(page, question);
    await finishedAnswer(page);

    const button = page.getByRole("button", {
      name: "Download for my doctor (FHIR)",
    });
    const download = page.waitForEvent("download");
    await button.focus();
    await page.keyboard.press("Enter");
    const bundle = await bundleOf(await download);
    await expect(
      page.getByRole("status").filter({ hasText: "in your downloads" }),
    ).toBeVisible();

    expect(bundle.resourceType).toBe("Bundle");
    expect(bundle.type).toBe("collection");
    expect(texts(bundle)[0]).toBe(question);
    const communications = resources(bundle, "Communication");
    expect(communications).toHaveLength(3); // the thread, the question, the answer
    expect(resources(bundle, "Provenance")).toHaveLength(1);
    expect(resources(bundle, "Patient")[0]).not.toHaveProperty("name");
  });

  test("the account page exports every conversation as a job, then downloads it once", async ({
    page,
  }) => {
    await registerPatient(page.request);
    await page.goto("/chat");
    await ask(page, "What is Humira used for?");
    await finishedAnswer(page);

    await page.goto("/account");
    const section = page.getByRole("region", {
      name: "For your doctor (FHIR)",
    });
    await section
      .getByLabel("Your name in the file (optional)")
      .fill("Ada Lovelace");
    await section
      .getByRole("button", { name: "Download for my doctor (FHIR)" })
      .click();
    const fetch = section.getByRole("button", {
      name: "Download the FHIR file",
    });
    await expect(fetch).toBeVisible({ timeout: 45_000 });
    await expect(
      section.getByText(/Your file is ready \(1 conversations\)/),
    ).toBeVisible();

    const download = page.waitForEvent("download");
    await fetch.click();
    const bundle = await bundleOf(await download);
    expect(bundle.type).toBe("collection");
    expect(texts(bundle)).toContain("What is Humira used for?");
    expect(resources(bundle, "Patient")[0]?.name).toEqual([
      { text: "Ada Lovelace" },
    ]);
    await expect(
      section.getByText(/Lumen no longer keeps this file/),
    ).toBeVisible();
    await expect(fetch).toBeHidden();
  });
});
