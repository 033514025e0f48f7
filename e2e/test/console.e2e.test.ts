import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { testNats, waitFor } from "@reelgate/testkit";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyPng } from "./images.ts";
import { type Platform, startPlatform, waitForEnd } from "./platform.ts";

const nats = testNats();
const chromiumPath = "/usr/bin/chromium";
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const shots = join(repoRoot, "docs/console");
const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };

if (!existsSync(chromiumPath))
  console.warn("console e2e skipped: no Chromium at /usr/bin/chromium (apt-get install chromium)");

/** The page at a laptop's and a phone's size, into docs/console/ (committed: the docs link them). */
const screenshot = async (page: Page, name: string) => {
  await page.screenshot({ path: join(shots, `${name}-desktop.png`) });
  await page.setViewportSize(phone);
  await page.screenshot({ path: join(shots, `${name}-phone.png`) });
  await page.setViewportSize(desktop);
};

/** The <video> element as code run in the page sees it (this file is typed without the DOM's types). */
interface VideoLike {
  duration: number;
  currentTime: number;
  addEventListener(type: string, listener: () => void, options: { once: boolean }): void;
}
/** What the page's functions cast globalThis to (they run in the browser: only types may come from here). */
type InPage = { document: { querySelector(selector: string): VideoLike | null } };

/** The console with no one signed in, whatever an earlier test left behind. */
const openSignedOut = async (page: Page, url: string) => {
  await page.goto(`${url}/console/`);
  await page.evaluate(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear());
  await page.reload();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
};

const signIn = async (page: Page, role: "tenant" | "admin", secret: string) => {
  await page.getByLabel(role === "admin" ? "The operator, with the admin token" : "A user, with an API key").check();
  await page.locator("#secret").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
};

const signOut = async (page: Page) => {
  await page.getByRole("button", { name: /^Sign out/ }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
};

describe.skipIf(!nats.url || !existsSync(chromiumPath))("web console in headless Chromium", () => {
  let platform: Platform;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  const mediaStatuses: number[] = [];

  beforeAll(async () => {
    // The console is served from its build; npm test builds it first, a lone run of this file may not have.
    if (!existsSync(join(repoRoot, "web/console/dist/index.html")))
      execFileSync("npm", ["run", "build", "-w", "web/console", "--silent"], { cwd: repoRoot, stdio: "ignore" });
    mkdirSync(shots, { recursive: true });
    platform = await startPlatform(nats.url!);
    profile = mkdtempSync(join(tmpdir(), "reelgate-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      viewport: desktop,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("console", (message) => {
      if (/Content[- ]Security[- ]Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("response", (response) => {
      if (new URL(response.url()).pathname.startsWith("/media/")) mediaStatuses.push(response.status());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("serves the console under a strict Content-Security-Policy", async () => {
    const response = await fetch(`${platform.url}/console/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(await response.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it("a user signs in, makes a video from an uploaded image, watches it complete, plays and seeks it, deletes it", async () => {
    const { key, client } = await platform.account("5");
    await openSignedOut(page, platform.url);
    await screenshot(page, "sign-in");
    await signIn(page, "tenant", key);
    await page.getByRole("heading", { name: "Generate a video" }).waitFor();
    // The key is in session storage, never in the URL.
    expect(page.url()).not.toContain(key);
    expect(await page.evaluate(() => sessionStorage.getItem("reelgate.session"))).toContain(key);

    await page.locator("#model").selectOption("sora-2");
    await page.locator("#seconds").selectOption("4");
    await page.locator("#prompt").fill("a lighthouse at dawn, from the console");
    await page.locator("#input_reference").setInputFiles({ name: "frame.png", mimeType: "image/png", buffer: tinyPng });
    await page.getByAltText("Preview of frame.png").waitFor();
    // The price before submitting ($0.10 a second), the balance beside it.
    await expect.poll(() => page.getByTestId("price").textContent()).toBe("$0.40");
    await expect.poll(() => page.getByTestId("available").textContent()).toBe("$5.00");
    await screenshot(page, "generate");
    // Every control is labelled for screen readers.
    const unlabelled = await page.evaluate(() =>
      [
        ...(
          globalThis as unknown as {
            document: { querySelectorAll(s: string): Iterable<{ id: string; labels: { length: number } | null }> };
          }
        ).document.querySelectorAll("input, select, textarea"),
      ]
        .filter((control) => !control.labels?.length)
        .map((control) => control.id),
    );
    expect(unlabelled).toEqual([]);
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(shots, "generate-dark-desktop.png") });
    await page.emulateMedia({ colorScheme: "light" });

    await page.getByRole("button", { name: "Generate" }).click();
    await page.waitForURL(/#\/videos\/video_/);
    const videoId = decodeURIComponent(page.url().split("#/videos/")[1]!);
    expect((await client.videos.retrieve(videoId)).prompt).toBe("a lighthouse at dawn, from the console");
    await page.locator(".status-completed").waitFor({ timeout: 60_000 });

    // The stored video plays through its signed URL: metadata loads, and a seek (a Range request) lands.
    const player = page.getByTestId("player");
    await player.waitFor();
    expect(await player.getAttribute("src")).toMatch(/\/media\/.*signature=/);
    const duration = await page.waitForFunction(
      () => {
        const video = (globalThis as unknown as InPage).document.querySelector("video");
        return video && Number.isFinite(video.duration) && video.duration > 0 ? video.duration : undefined;
      },
      undefined,
      { timeout: 30_000 },
    );
    const seconds = (await duration.jsonValue()) as number;
    expect(seconds).toBeGreaterThan(0);
    const landed = await page.evaluate(
      (target) =>
        new Promise<number>((resolve) => {
          const video = (globalThis as unknown as InPage).document.querySelector("video")!;
          video.addEventListener("seeked", () => resolve(video.currentTime), { once: true });
          video.currentTime = target;
        }),
      seconds / 2,
    );
    expect(landed).toBeGreaterThan(0);
    // The media was served in ranges (206), which is what lets the browser seek without the whole file.
    expect(mediaStatuses).toContain(206);
    await page.getByAltText("Thumbnail").waitFor();
    await screenshot(page, "video");

    await page.goto(`${platform.url}/console/#/videos`);
    await page.getByRole("link", { name: /a lighthouse at dawn/ }).waitFor();
    await page.locator(".video-row img.thumb").first().waitFor();
    await screenshot(page, "videos");

    await page.goto(`${platform.url}/console/#/account`);
    await expect.poll(() => page.getByTestId("balance").textContent(), { timeout: 30_000 }).toBe("$4.600000");
    await page.locator(".chart svg").waitFor({ timeout: 30_000 });
    await screenshot(page, "account");

    await page.goto(`${platform.url}/console/#/videos/${videoId}`);
    await page.getByRole("button", { name: "Delete…" }).click();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.waitForURL(/#\/videos$/);
    await expect(client.videos.retrieve(videoId)).rejects.toMatchObject({ status: 404 });

    // Errors the API answers are shown next to what they are about.
    await signOut(page);
    const poor = await platform.account("0.1");
    await signIn(page, "tenant", poor.key);
    await page.locator("#prompt").fill("too dear");
    // A 400 is shown beside the field its `param` names: here bytes that are no image.
    await page
      .locator("#input_reference")
      .setInputFiles({ name: "not.png", mimeType: "image/png", buffer: Buffer.from("not an image at all") });
    await page.getByRole("button", { name: "Generate" }).click();
    await expect.poll(() => page.locator("#input_reference-error").textContent()).toMatch(/image/i);
    await page.getByRole("button", { name: "Remove image" }).click();
    await page.getByRole("button", { name: "Generate" }).click();
    await expect.poll(() => page.locator("#price-error").textContent()).toMatch(/quota/);
    expect(await page.locator("#input_reference-error").count()).toBe(0);
    await signOut(page);

    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("the operator opens an account, tops it up twice with one reference (applied once), issues and revokes a key", async () => {
    const { accountId } = await platform.account("1");
    await openSignedOut(page, platform.url);
    // By keyboard alone: the role, the token, Enter.
    await page.getByLabel("The operator, with the admin token").focus();
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.type(platform.adminToken);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Accounts" }).waitFor();
    await page.getByRole("link", { name: accountId }).waitFor();
    await screenshot(page, "admin-accounts");

    await page.getByRole("link", { name: accountId }).click();
    await expect.poll(() => page.getByTestId("balance").textContent()).toBe("$1.000000");
    for (let round = 0; round < 2; round++) {
      await page.locator("#credit-amount").fill("2.5");
      await page.locator("#credit-reference").fill("invoice-42");
      const answered = page.waitForResponse(
        (response) => response.url().endsWith("/credits") && response.request().method() === "POST",
      );
      await page.getByRole("button", { name: "Top up" }).click();
      // Both answers are 200 with the account as it stands: the second changed nothing.
      expect((await answered).status()).toBe(200);
      await expect.poll(() => page.getByTestId("balance").textContent()).toBe("$3.500000");
    }
    expect((await platform.balance(accountId)).balance_usd).toBe("3.500000");

    await page.locator("#key-name").fill("from the console");
    await page.getByRole("button", { name: "Issue key" }).click();
    const key = await page.locator("#issued-key").inputValue();
    const keyId = await page.getByTestId("issued-key-id").textContent();
    expect(key).toMatch(/^rg-/);
    const asKey = () => fetch(`${platform.url}/v1/account`, { headers: { authorization: `Bearer ${key}` } });
    expect((await asKey()).status).toBe(200);
    await screenshot(page, "admin-account");

    expect(await page.locator("#revoke-id").inputValue()).toBe(keyId);
    await page.getByRole("button", { name: "Revoke key" }).click();
    await page.getByText(`Key ${keyId} is revoked`).waitFor();
    expect((await asKey()).status).toBe(401);

    await page.goto(`${platform.url}/console/#/admin/channels`);
    await page.getByRole("cell", { name: /simulator/ }).waitFor();
    await screenshot(page, "admin-channels");
    await page.goto(`${platform.url}/console/#/admin/dead-letters`);
    await page.getByRole("heading", { name: "Dead letters" }).waitFor();
    await screenshot(page, "admin-dead-letters");

    const { client } = await platform.account("1");
    const video = await client.videos.create({ prompt: "history of a video", seconds: "4" });
    await waitForEnd(client, video.id);
    // The history is as current as ingress's projection: wait until it holds the stored media.
    await waitFor("the history to hold MediaStored", async () => {
      const history = await platform.admin<{ events: { type: string }[] }>("GET", `/admin/v1/videos/${video.id}`);
      return history.json.events?.some((event) => event.type === "MediaStored") || undefined;
    });
    await page.goto(`${platform.url}/console/#/admin/videos/${video.id}`);
    await page.getByText("VideoRequested").waitFor();
    await page.locator(".timeline").getByText("MediaStored").first().waitFor();
    await screenshot(page, "admin-video-history");

    // The revoked key no longer signs in.
    await signOut(page);
    await signIn(page, "tenant", key);
    await page.getByText("That API key was not accepted.").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("reelgate.session"))).toBeNull();

    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
