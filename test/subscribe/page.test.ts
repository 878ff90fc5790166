/**
 * The subscriber page and its service worker in Chromium (Debian's, headless, puppeteer-core) against
 * the Node API on a libSQL file: what happens when the push service replaces a subscription at the
 * token's cap, when the VAPID key changed since the browser subscribed, and when a notification is
 * clicked while the page is open. No stream worker: the database is written as it would write it.
 *
 * `PushManager` is substituted before the page loads (no push service is reachable offline), following
 * the Push API: `getSubscription()` answers the browser's current subscription, `subscribe()` with a
 * current subscription made with another `applicationServerKey` rejects with InvalidStateError, and
 * `unsubscribe()` drops it. The worker's `pushsubscriptionchange` and `notificationclick` listeners
 * run `resubscribe(event)` and `notificationClicked(data, action)`, which the test calls in the worker
 * (the DevTools protocol can fire neither event).
 */
import { createECDH, randomBytes } from "node:crypto";
import puppeteer, { type Browser, type Page, type WebWorker } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertNotifiedAlert } from "../../api/testing/notified-alert.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { type TestDatabase, testDatabase } from "../notify/outbox-fixtures.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let t: TestDatabase;
let api: ServiceProcess;
let browser: Browser;
let adminKey: string;
let tenantId: string;

beforeAll(async () => {
  t = await testDatabase();
  const tenant = await createTenantWithAdminKey(t.db, { name: "page", nowMs: Date.now() });
  adminKey = tenant.apiKey.key;
  tenantId = tenant.tenantId;
  api = await startService("api/node.ts", {
    DATABASE_URL: t.url,
    LOG_LEVEL: "warn",
    SUBSCRIBER_RATE_LIMIT_PER_MIN: "6000",
    SUBSCRIBER_RATE_LIMIT_BURST: "1000",
  });
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // Root in a container: Chromium's sandbox needs user namespaces it may not have.
    args: ["--no-sandbox"],
  });
  await browser.defaultBrowserContext().overridePermissions(api.url, ["notifications"]);
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await api?.stop();
  t?.close();
});

async function call(path: string, method = "GET", json?: unknown, key = adminKey) {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      ...(json === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

const browserKeys = () => {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return {
    p256dh: ecdh.getPublicKey().toString("base64url"),
    auth: randomBytes(16).toString("base64url"),
  };
};

const endpointOf = (name: string) => `https://fcm.googleapis.com/fcm/send/${name}`;

async function newToken(name: string, maxSubscriptions = 5) {
  const created = await call("/v1/subscriber-tokens", "POST", { name, maxSubscriptions });
  expect(created.status).toBe(201);
  return created.body as { id: string; token: string; link: string };
}

/** The endpoints the tenant holds for token `tokenId`, as the API key lists them. */
async function endpointsOf(token: string) {
  const listed = await call("/v1/subscriber/subscriptions", "GET", undefined, token);
  return (listed.body.data as { id: string; endpoint: string }[]).map((s) => s.endpoint);
}

/**
 * Before any page script: a PushManager after the Push API. `existing`: the browser already holds a
 * subscription made with `key`; `subscribe()` makes one at `endpoint`. Calls are kept in
 * `window.pushCalls` (`subscribe <key>`, `unsubscribe <endpoint>`).
 */
function fakePushManager(
  page: Page,
  options: { endpoint: string; existing?: { endpoint: string; key: string } },
) {
  const args = JSON.stringify({ ...options, keys: browserKeys(), newKeys: browserKeys() });
  return page.evaluateOnNewDocument(`(() => {
    const a = ${args};
    window.pushCalls = [];
    const toBytes = (text) => Uint8Array.from(
      atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4)),
      (c) => c.charCodeAt(0));
    const toText = (bytes) => btoa(String.fromCharCode(...bytes))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    const make = (endpoint, key, keys) => ({
      endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: key.slice().buffer },
      toJSON: () => ({ endpoint, expirationTime: null, keys }),
      unsubscribe: async () => {
        window.pushCalls.push("unsubscribe " + endpoint);
        current = null;
        return true;
      },
    });
    let current = a.existing ? make(a.existing.endpoint, toBytes(a.existing.key), a.keys) : null;
    PushManager.prototype.getSubscription = async () => current;
    PushManager.prototype.subscribe = async function (options) {
      const key = new Uint8Array(options.applicationServerKey);
      window.pushCalls.push("subscribe " + toText(key));
      if (current) {
        const held = new Uint8Array(current.options.applicationServerKey);
        if (held.length !== key.length || held.some((v, i) => v !== key[i]))
          throw new DOMException("a subscription with another applicationServerKey exists", "InvalidStateError");
        return current;
      }
      current = make(a.endpoint, key, a.newKeys);
      return current;
    };
  })();`);
}

const statusSays = (page: Page, text: string) =>
  page.waitForFunction(
    `document.getElementById("status")?.textContent?.includes(${JSON.stringify(text)})`,
    { timeout: 20_000 },
  );

async function openPage(
  link: string,
  push: Parameters<typeof fakePushManager>[1],
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await fakePushManager(page, push);
  await page.goto(link);
  await page.waitForSelector("#setup:not([hidden])", { timeout: 20_000 });
  return { page, errors };
}

async function serviceWorker(): Promise<WebWorker> {
  const target = await browser.waitForTarget(
    (x) => x.type() === "service_worker" && x.url() === `${api.url}/subscribe/sw.js`,
    { timeout: 10_000 },
  );
  const worker = await target.worker();
  if (!worker) throw new Error("no service worker target");
  return worker;
}

/** An alert row as the evaluator leaves it, and a delivered push message listing it for `subscriptionId`. */
const notified = (fingerprint: string, subscriptionId: string) =>
  insertNotifiedAlert(t.db, {
    tenantId,
    fingerprint,
    subscriptionId,
    nowMs: Date.now(),
    labels: { alertname: "BurnRateFast", severity: "page" },
    annotations: { summary: "the error budget burns fast" },
    delivered: true,
  });

describe("the subscriber page in Chromium: replacing subscriptions and opening alerts", () => {
  it("pushsubscriptionchange at the token's cap (1): the new subscription takes the old one's place", async () => {
    const token = await newToken("resubscribe", 1);
    const { page, errors } = await openPage(token.link, { endpoint: endpointOf("change-old") });
    await page.click("#subscribe");
    await statusSays(page, "is notified of");
    expect(await endpointsOf(token.token)).toEqual([endpointOf("change-old")]);

    const worker = await serviceWorker();
    const replacement = { endpoint: endpointOf("change-new"), keys: browserKeys() };
    const result = await worker.evaluate(
      `resubscribe({ newSubscription: { toJSON: () => (${JSON.stringify(replacement)}) } })
        .then(() => "ok", (e) => "rejected: " + e.status + " " + e.message)`,
    );
    expect(result).toBe("ok");
    const listed = await call("/v1/subscriber/subscriptions", "GET", undefined, token.token);
    const rows = listed.body.data as { id: string; endpoint: string }[];
    expect(rows.map((r) => r.endpoint)).toEqual([endpointOf("change-new")]);
    // The worker keeps the new row's id for the next change.
    expect(await worker.evaluate(`gridpulseStore.get("subscription")`)).toMatchObject({
      id: rows[0]?.id,
    });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("after the VAPID key changed, subscribing again unsubscribes, subscribes with the new key and replaces the row", async () => {
    const vapidKey = (await call("/v1/push/vapid-public-key")).body.publicKey as string;
    const token = await newToken("rotated", 1);
    // What the browser registered under the old key.
    const old = await call(
      "/v1/subscriber/subscriptions",
      "POST",
      { endpoint: endpointOf("rotated-old"), keys: browserKeys() },
      token.token,
    );
    expect(old.status).toBe(201);
    const oldKey = createECDH("prime256v1");
    oldKey.generateKeys();
    const { page, errors } = await openPage(token.link, {
      existing: {
        endpoint: endpointOf("rotated-old"),
        key: oldKey.getPublicKey().toString("base64url"),
      },
      endpoint: endpointOf("rotated-new"),
    });
    // The page tells that this browser's subscription was made with another key.
    await statusSays(page, "key changed");
    await page.click("#subscribe");
    await statusSays(page, "is notified of");
    expect(await page.evaluate("window.pushCalls")).toEqual([
      `unsubscribe ${endpointOf("rotated-old")}`,
      `subscribe ${vapidKey}`,
    ]);
    expect(await endpointsOf(token.token)).toEqual([endpointOf("rotated-new")]);
    await page.waitForSelector("#test:not([disabled])");

    // Once the key matches, "Update this device" keeps the browser's subscription.
    await page.evaluate(`document.getElementById("status").textContent = ""`);
    await page.click("#subscribe");
    await statusSays(page, "is notified of");
    expect(await page.evaluate("window.pushCalls")).toHaveLength(2);
    expect(await endpointsOf(token.token)).toEqual([endpointOf("rotated-new")]);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("a notification clicked while the page is open shows its alert there", async () => {
    const token = await newToken("open page");
    const { page, errors } = await openPage(token.link, { endpoint: endpointOf("click") });
    await page.click("#subscribe");
    await statusSays(page, "is notified of");
    const listed = await call("/v1/subscriber/subscriptions", "GET", undefined, token.token);
    const [subscription] = listed.body.data as { id: string }[];
    const fingerprint = "00000000000000c1";
    await notified(fingerprint, subscription?.id as string);
    expect(await page.$eval("#alert", (e) => (e as unknown as { hidden: boolean }).hidden)).toBe(
      true,
    );

    const worker = await serviceWorker();
    const clicked = await worker.evaluate(
      `notificationClicked({ alerts: [${JSON.stringify(fingerprint)}] }, "")
        .then(() => "ok", (e) => "rejected: " + e.message)`,
    );
    expect(clicked).toBe("ok");
    await page.waitForSelector("#alert:not([hidden])", { timeout: 10_000 });
    expect(await page.$eval("#alert-title", (e) => e.textContent)).toBe("BurnRateFast");
    expect(await page.$eval("#alert-text", (e) => e.textContent)).toContain(
      "the error budget burns fast",
    );
    // The same alert clicked again (the page shows another one meanwhile) shows it again.
    await page.evaluate(`document.getElementById("alert").hidden = true`);
    await worker.evaluate(`notificationClicked({ alerts: [${JSON.stringify(fingerprint)}] }, "")`);
    await page.waitForSelector("#alert:not([hidden])", { timeout: 10_000 });
    // "Acknowledge" on the page acknowledges it with the token.
    await page.click("#alert-ack");
    await page.waitForFunction(
      `document.getElementById("alert-text").textContent.includes(", acknowledged")`,
      { timeout: 10_000 },
    );
    expect((await call(`/v1/alerts/${fingerprint}`)).body.acknowledgedBy).toBe(token.id);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
