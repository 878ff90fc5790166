/**
 * The docs page in headless Chromium (Debian's `chromium`): the self-hosted Scalar reference renders
 * the operations with their schemas under the API's Content-Security-Policy, makes no request to any
 * other origin and reports no CSP violation. A screenshot is written to test-output/docs.png.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiRuntime, startEmbeddedApiRuntime } from "../support/api-runtimes.ts";
import { repoRoot } from "../support/processes.ts";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

describe("/docs in headless Chromium", () => {
  let api: ApiRuntime;
  let browser: Browser;
  beforeAll(async () => {
    api = await startEmbeddedApiRuntime();
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  it("renders the self-hosted Scalar reference with no third-party request and no CSP violation", async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    const origin = new URL(api.url).origin;
    const requests: string[] = [];
    const problems: string[] = [];
    page.on("request", (req) => requests.push(req.url()));
    page.on("console", (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
    });
    page.on("pageerror", (error) => problems.push(String(error)));
    const res = await page.goto(`${api.url}/docs`, { waitUntil: "networkidle0", timeout: 90_000 });
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.waitForFunction(
      'document.body.innerText.includes("Liveness and readiness probes")',
      {
        timeout: 60_000,
      },
    );
    const text = (await page.evaluate("document.body.innerText")) as string;
    expect(text).toContain("gridpulse API");
    expect(text).toContain(new URL(api.url).origin);
    expect(text).toContain("Idempotency-Key");
    const dir = join(repoRoot, "test-output");
    mkdirSync(dir, { recursive: true });
    const shot = join(dir, "docs.png");
    await page.screenshot({ path: shot, fullPage: false });
    console.log(`docs screenshot: ${shot}`);
    const outside = requests.filter((url) => !url.startsWith(origin) && !url.startsWith("data:"));
    expect(outside).toEqual([]);
    expect(requests).toEqual(
      expect.arrayContaining([`${origin}/docs/scalar.js`, `${origin}/openapi.json`]),
    );
    expect(problems).toEqual([]);
  }, 150_000);
});
