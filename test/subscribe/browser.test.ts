/**
 * The subscriber page in a real browser (Debian's Chromium, headless, driven over the DevTools
 * protocol by puppeteer-core; nothing downloaded), against the real stack: the Node API and the
 * stream worker (every stage) on one libSQL file, the Kafka broker of the test run, and a local HTTPS
 * push service that decrypts every message (http_ece) and verifies its VAPID JWT.
 *
 * Offline, no browser push service is reachable, so `PushManager.subscribe` is substituted before the
 * page loads: it returns a subscription whose endpoint is the local push service and whose keys the
 * test holds. Everything else is the browser's own: the page under its CSP, the service worker's
 * registration, the notification permission (granted over CDP), the page's calls to the API with the
 * subscriber token. An outage fires a page-severity SLO alert through Kafka, the evaluator and the
 * dispatcher; the push service decrypts the message as a browser's push service client would, and
 * CDP `ServiceWorker.deliverPushMessage` hands the plaintext to the worker's `push` handler.
 *
 * Headless Chromium keeps no displayed notifications (its `showNotification` resolves, but
 * `registration.getNotifications()` then lists nothing; the same under Xvfb without a notification
 * server), and the DevTools protocol has no command to click a notification. So the test records what
 * the worker passes to `showNotification` (a wrapper evaluated in the worker's target, which calls
 * through), reads `getNotifications()` too and prefers it when it lists the notification, and clicks
 * "Acknowledge" by calling the worker's click handler (`notificationClicked(data, action)`, the
 * function its `notificationclick` listener runs) in the worker's target.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Producer } from "kafkajs";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import webpush from "web-push";
import { topicName } from "../../core/events/topics.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { freePort, waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { eventProducer } from "../../platform/kafka.ts";
import { requests, sendRequests } from "../alerts/fixtures.ts";
import { newSubscriber, type PushService, startPushService } from "../notify/receivers.ts";
import { createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import { repoRoot, type ServiceProcess, startService } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const outputDir = join(repoRoot, "test-output");

const kafka = testKafka();
const subscriber = newSubscriber();
const endpointPath = "/sub/browser";
const stops: { stop(): Promise<unknown> }[] = [];
let api: ServiceProcess;
let adminKey: string;
let push: PushService;
let producer: Producer;
let requestsTopic: string;
let browser: Browser;
const startedAt = Date.now();

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

beforeAll(async () => {
  const prefix = uniquePrefix();
  await createTopics(kafka, prefix);
  requestsTopic = topicName(prefix, "requests");
  const vapid = webpush.generateVAPIDKeys();
  push = await startPushService({
    hostname: "127.0.0.1",
    vapidPublicKey: vapid.publicKey,
    subscribers: new Map([[endpointPath, subscriber]]),
  });
  stops.push({ stop: () => push.close() });
  const caFile = join(mkdtempSync(join(tmpdir(), "gridpulse-browser-ca-")), "ca.pem");
  writeFileSync(caFile, push.ca);
  const notifyEnv = {
    NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${push.port}`,
    NOTIFY_PUSH_HOSTS: "127.0.0.1",
    VAPID_PUBLIC_KEY: vapid.publicKey,
  };
  const stream = await startStreamWorker(prefix, {
    env: {
      ...notifyEnv,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: "mailto:ops@gridpulse.test",
      NODE_EXTRA_CA_CERTS: caFile,
      STREAM_EVAL_INTERVAL_MS: "200",
      STREAM_ALERT_EVAL_INTERVAL_MS: "250",
      NOTIFY_RETRY_SCHEDULE: "0,1s,2s,5s",
      LOG_LEVEL: "info",
    },
  });
  stops.push(stream.worker);
  const { db, close } = await openDatabase({ url: stream.databaseUrl });
  const tenant = await createTenantWithAdminKey(db, { name: "subscriber-e2e", nowMs: Date.now() });
  close();
  adminKey = tenant.apiKey.key;
  api = await startService("api/node.ts", {
    DATABASE_URL: stream.databaseUrl,
    API_METRICS_PORT: String(await freePort()),
    LOG_LEVEL: "warn",
    ...notifyEnv,
  });
  stops.push(api);
  producer = eventProducer(kafka);
  await producer.connect();
  stops.push({ stop: () => producer.disconnect() });
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // Root in a container: Chromium's sandbox needs user namespaces it may not have.
    args: ["--no-sandbox"],
  });
  stops.push({ stop: () => browser.close() });
}, 180_000);

afterAll(async () => {
  for (const s of stops.reverse()) await s.stop().catch(() => {});
  console.log(
    `browser test wall time (setup included): ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
  );
});

/**
 * Before any page script: PushManager answers with the test's subscription; CSP violations are kept.
 * (Code evaluated in the browser is given as source text: this project type-checks without the DOM
 * library.)
 */
function substitutePushManager(page: Page, endpoint: string) {
  const args = JSON.stringify({ endpoint, keys: subscriber.keys });
  return page.evaluateOnNewDocument(`(() => {
    const { endpoint, keys } = ${args};
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));
    let current = null;
    PushManager.prototype.subscribe = async function (options) {
      current = {
        endpoint,
        expirationTime: null,
        options,
        toJSON: () => ({ endpoint, expirationTime: null, keys }),
        unsubscribe: async () => { current = null; return true; },
      };
      return current;
    };
    PushManager.prototype.getSubscription = async () => current;
  })();`);
}

/** The text of the page's status line contains `text` (bounded wait). */
const statusSays = (page: Page, text: string) =>
  page.waitForFunction(
    `document.getElementById("status")?.textContent?.includes(${JSON.stringify(text)})`,
    { timeout: 20_000 },
  );

describe("the subscriber page in Chromium", () => {
  it("subscribes under its CSP, shows the alert's notification from a real push and acknowledges it", async () => {
    const testStartedAt = Date.now();
    const run = Date.now().toString(36);
    const service = `browser-${run}`;
    const slo = await call("/v1/slos", "POST", {
      name: `${service} availability`,
      service,
      sli: { kind: "availability" },
      objective: 0.999,
      window: { kind: "rolling", days: 30 },
      minEvents: 1,
    });
    expect(slo.status).toBe(201);
    const policy = await call("/v1/notification-policy", "PUT", {
      route: {
        group_by: ["alertname", "slo_id"],
        group_wait: 0,
        group_interval: 1000,
        repeat_interval: 3_600_000,
        send_resolved: true,
      },
      inhibitRules: null,
    });
    expect(policy.status).toBe(200);
    const created = await call("/v1/subscriber-tokens", "POST", {
      name: "on-call phone",
      filters: { severities: ["page", "ticket"] },
    });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    const tokenId = created.body.id as string;
    expect(created.body.link).toBe(`${api.url}/subscribe/#token=${token}`);

    const context = browser.defaultBrowserContext();
    await context.overridePermissions(api.url, ["notifications"]);
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    page.on("pageerror", (e) => console.log(`page error: ${e}`));
    const cdp = await page.createCDPSession();
    await cdp.send("ServiceWorker.enable");
    const registrations = new Map<string, string>();
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => {
      for (const r of e.registrations)
        if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId);
    });
    await substitutePushManager(page, `${push.origin}${endpointPath}`);

    // The page loads under its CSP; the token leaves the address bar once stored.
    const response = await page.goto(created.body.link as string);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.waitForSelector("#setup:not([hidden])", { timeout: 20_000 });
    expect(await page.evaluate("location.hash")).toBe("");
    expect(await page.$eval("#token-info", (e) => e.textContent)).toContain("on-call phone");

    // Choose "page" only (the token allows page and ticket), allow notifications, subscribe.
    await page.click('#filter-severities input[value="page"]');
    await page.click("#subscribe");
    await statusSays(page, "is notified of");
    expect(await page.evaluate("Notification.permission")).toBe("granted");
    const listed = await call("/v1/push/subscriptions");
    const subscriptions = listed.body.data as { id: string; endpoint: string; filters: unknown }[];
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]).toMatchObject({
      endpoint: `${push.origin}${endpointPath}`,
      filters: { severities: ["page"] },
    });
    await page.waitForSelector("#test:not([disabled])");
    mkdirSync(outputDir, { recursive: true });
    const screenshot = join(outputDir, "subscribe-page.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`subscriber page screenshot: ${screenshot}`);

    // The worker registered for /subscribe/ and controls the page.
    const scope = `${api.url}/subscribe/`;
    const registrationId = await waitFor(
      "the service worker registration",
      async () => registrations.get(scope),
      { timeoutMs: 10_000 },
    );
    const workerTarget = await browser.waitForTarget(
      (t) => t.type() === "service_worker" && t.url() === `${scope}sw.js`,
      { timeout: 10_000 },
    );
    const worker = await workerTarget.worker();
    if (!worker) throw new Error("no service worker target");
    await worker.evaluate(`(() => {
      self.shownNotifications = [];
      const original = ServiceWorkerRegistration.prototype.showNotification;
      ServiceWorkerRegistration.prototype.showNotification = function (title, options) {
        self.shownNotifications.push({ title, options });
        return original.call(this, title, options);
      };
    })()`);

    // An outage fires the page tier through Kafka, the evaluator and the dispatcher.
    await sendRequests(producer, requestsTopic, requests(service, 1000, 200, Date.now() - 60_000));
    await sendRequests(producer, requestsTopic, requests(service, 40, 503, Date.now()));
    const message = await waitFor(
      "the page alert's push message at the push service",
      async () =>
        push.received.find((m) => {
          const p = JSON.parse(m.plaintext) as { severity?: string; status?: string };
          return p.severity === "page" && p.status === "firing";
        }),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(push.errors).toEqual([]);
    const payload = JSON.parse(message.plaintext) as {
      title: string;
      fingerprint: string;
      alerts: string[];
    };
    expect(payload.alerts.length).toBeGreaterThan(0);

    // The decrypted plaintext goes to the worker as the browser's push service client would hand it.
    await cdp.send("ServiceWorker.deliverPushMessage", {
      origin: api.url,
      registrationId,
      data: message.plaintext,
    });
    type Shown = {
      title: string;
      tag: string;
      renotify: boolean;
      actions: { action: string; title: string }[];
      data: { alerts: string[] };
    };
    const recorded = await waitFor(
      "the worker to show the notification",
      async () => {
        const got = (await worker.evaluate("self.shownNotifications")) as {
          title: string;
          options: Omit<Shown, "title">;
        }[];
        return got.length > 0 ? got : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const listedByBrowser = (await page.evaluate(`navigator.serviceWorker.ready
      .then((registration) => registration.getNotifications())
      .then((list) => list.map((n) => ({
        title: n.title, tag: n.tag, renotify: n.renotify, actions: n.actions, data: n.data,
      })))`)) as Shown[];
    const source =
      listedByBrowser.length > 0 ? "registration.getNotifications()" : "showNotification";
    console.log(
      `notification read from ${source} (getNotifications listed ${listedByBrowser.length})`,
    );
    const first = recorded[0] as { title: string; options: Omit<Shown, "title"> };
    const notification: Shown = listedByBrowser[0] ?? { title: first.title, ...first.options };
    expect(notification.title).toBe(`PAGE · ${payload.title}`);
    expect(notification.tag).toBe(payload.fingerprint);
    expect(notification.renotify).toBe(true);
    expect(notification.actions.map((a) => a.action)).toEqual(["acknowledge", "open"]);
    expect(notification.data.alerts).toEqual(payload.alerts);

    // "Acknowledge": the worker's click handler acknowledges with the subscriber token.
    await worker.evaluate(
      `notificationClicked(${JSON.stringify(notification.data)}, "acknowledge")`,
    );
    for (const id of payload.alerts) {
      const alert = await call(`/v1/alerts/${id}`);
      expect(alert.status).toBe(200);
      expect(alert.body.acknowledgedBy).toBe(tokenId);
      expect(alert.body.acknowledgedAt).not.toBeNull();
    }

    // A test to itself, then unsubscribe (server and browser side).
    const before = push.received.length;
    await page.click("#test");
    await waitFor(
      "the test push message",
      async () =>
        push.received
          .slice(before)
          .some((m) => JSON.parse(m.plaintext).title === "gridpulse test notification"),
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    await page.click("#unsubscribe");
    await statusSays(page, "no longer notified");
    expect((await call("/v1/push/subscriptions")).body.data).toEqual([]);
    expect(
      await page.evaluate(
        "navigator.serviceWorker.ready.then((r) => r.pushManager.getSubscription())",
      ),
    ).toBeNull();

    // Revoked: the page says so; the API answers 401 in the usual error shape.
    expect((await call(`/v1/subscriber-tokens/${tokenId}`, "DELETE")).status).toBe(204);
    await page.reload();
    await statusSays(page, "was revoked");
    const refused = await call("/v1/subscriber", "GET", undefined, token);
    expect(refused).toEqual({
      status: 401,
      body: {
        error: {
          code: "unauthorized",
          message: "this subscriber token was revoked",
          details: { reason: "revoked" },
        },
      },
    });

    expect(await page.evaluate("window.cspViolations")).toEqual([]);
    const origins = new Set(requested.map((u) => new URL(u).origin));
    expect([...origins]).toEqual([api.url]);
    console.log(
      `browser scenario wall time: ${((Date.now() - testStartedAt) / 1000).toFixed(1)} s`,
    );
  }, 180_000);
});
