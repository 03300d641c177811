import { expect, test } from "@playwright/test";

import { newPatient, SIGNED_OUT } from "./accounts";
import { signInWithForm } from "./support-auth";

test.use({ storageState: SIGNED_OUT });

test(
  "the account lists sessions; one can be ended, then all of them",
  { tag: "@api" },
  async ({ browser }) => {
    const patient = await newPatient();
    const laptop = await browser.newContext({ storageState: SIGNED_OUT });
    const phone = await browser.newContext({ storageState: SIGNED_OUT });
    const tablet = await browser.newContext({ storageState: SIGNED_OUT });
    const pages = await Promise.all([laptop.newPage(), phone.newPage(), tablet.newPage()]);
    for (const p of pages) {
      await p.goto("/signin?next=%2Faccount");
      await signInWithForm(p, patient);
      await expect(p.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
    }
    const [page, phonePage, tabletPage] = pages as [
      (typeof pages)[0],
      (typeof pages)[0],
      (typeof pages)[0],
    ];

    await page.reload();
    const list = page.getByRole("list", { name: "Sessions" });
    await expect(list.getByRole("listitem")).toHaveCount(3);
    await expect(list.getByText("(this device)")).toHaveCount(1);

    // End another device's session: it is signed out there.
    await list
      .getByRole("button", { name: /^Sign out (?!.*this device)/ })
      .first()
      .click();
    await expect(list.getByRole("listitem")).toHaveCount(2);
    const ended = [];
    for (const p of [phonePage, tabletPage]) {
      const me = await p.request.get("/api/v1/auth/me");
      ended.push(me.status());
    }
    expect(ended.sort()).toEqual([200, 401]);

    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await expect(page).toHaveURL(/\/signin/);
    for (const p of [phonePage, tabletPage]) {
      await p.goto("/chat");
      await expect(p).toHaveURL(/\/signin\/?\?next=/);
    }
    await Promise.all([laptop.close(), phone.close(), tablet.close()]);
  },
);
