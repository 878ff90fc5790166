/**
 * A ramping live outage through the real stack with the DEFAULT notification policy: RequestEvents on
 * the broker -> stream worker (aggregate, evaluate, alerts, dispatch) -> a signed webhook at a loopback
 * receiver; SLO, endpoint and deletion through the API. Good traffic first, then for a minute the share
 * of errors rises from 0 to 20%, in real time. The ticket tier (1x) becomes true first, the pages (6x,
 * then 14.4x) seconds later. Checked: the first page notification arrives within 60 s of its condition
 * becoming true (the event time of the request that took the error ratio above 6 x the budget) and
 * before any repeat of the ticket; the page is never held back behind the ticket's group. Printed: the
 * detection-to-delivery timeline. Then the SLO is deleted while its alerts fire: they resolve, stay
 * listed as resolved in /v1/alerts, and their episodes stay in /v1/alerts/history with the SLO.
 */
import type { Producer } from "kafkajs";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { topicName } from "../../core/events/topics.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { eventProducer } from "../../platform/kafka.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../notify/receivers.ts";
import { callApi } from "../support/api-client.ts";
import { createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import { requests, sendRequests } from "./fixtures.ts";

const kafka = testKafka();
const budget = 0.001;
/** The promised bound: a page reaches its receiver within this of its condition becoming true. */
const pageBoundMs = 60_000;
const stops: { stop(): Promise<unknown> }[] = [];
let api: ServiceProcess;
let apiKey: string;
let receiver: WebhookReceiver;
let producer: Producer;
let requestsTopic: string;
const arrivals: number[] = [];

const call = (path: string, method = "GET", json?: unknown) =>
  callApi(api.url, apiKey, path, method, json);

beforeAll(async () => {
  const prefix = uniquePrefix();
  await createTopics(kafka, prefix);
  requestsTopic = topicName(prefix, "requests");
  receiver = await startWebhookReceiver([], (_req, n) => {
    arrivals[n - 1] = Date.now();
    return { status: 204 };
  });
  stops.push({ stop: () => receiver.close() });
  const allow = { NOTIFY_OUTBOUND_ALLOWLIST: `127.0.0.1:${receiver.port}` };
  // The defaults of every alerting and notification setting (evaluation each second, dispatcher
  // polling, route): what a tenant gets without configuring anything.
  const stream = await startStreamWorker(prefix, { env: { ...allow, LOG_LEVEL: "warn" } });
  stops.push(stream.worker);
  const { db, close } = await openDatabase({ url: stream.databaseUrl });
  const tenant = await createTenantWithAdminKey(db, { name: "ramp", nowMs: Date.now() });
  close();
  apiKey = tenant.apiKey.key;
  api = await startService("api/node.ts", {
    DATABASE_URL: stream.databaseUrl,
    LOG_LEVEL: "warn",
    ...allow,
  });
  stops.push(api);
  producer = eventProducer(kafka);
  await producer.connect();
  stops.push({ stop: () => producer.disconnect() });
}, 180_000);

afterAll(async () => {
  for (const s of stops.reverse()) await s.stop().catch(() => {});
});

type Body = {
  data: {
    status: string;
    groupLabels: Record<string, string>;
    alerts: { status: string; labels: Record<string, string> }[];
  };
};

describe("a ramping outage with the default notification policy", () => {
  it("pages within 60 s of the page condition, before any ticket repeat; a deleted SLO keeps its history", async () => {
    const service = `ramp-${Date.now().toString(36)}`;
    const policy = await call("/v1/notification-policy");
    expect(policy.body).toMatchObject({
      isDefault: true,
      route: { group_by: ["alertname", "severity"], group_wait: 10_000 },
    });
    const slo = await call("/v1/slos", "POST", {
      name: `${service} availability`,
      service,
      sli: { kind: "availability" },
      objective: 1 - budget,
      window: { kind: "rolling", days: 30 },
    });
    expect(slo.status).toBe(201);
    const sloId = slo.body.id as string;
    const endpoint = await call("/v1/webhooks", "POST", {
      url: `${receiver.url}/hooks`,
      format: "gridpulse",
    });
    expect(endpoint.status).toBe(201);
    const verifier = new Webhook(endpoint.body.secret as string);

    // Good traffic over the last 30 s, then the ramp: each second 100 requests, the share of errors
    // rising linearly from 0 to 20% over 60 s.
    const sent: RequestEventInput[] = [];
    const baselineStart = Date.now() - 30_000;
    const baseline = requests(service, 3000, 200, baselineStart).map((e, i) => ({
      ...e,
      ts: baselineStart + i * 10,
    }));
    await sendRequests(producer, requestsTopic, baseline);
    sent.push(...baseline);
    const perSecond = 100;
    let errorsSoFar = 0;
    const ramp = (async () => {
      // Ten batches a second, each stamped with the wall clock when it is sent (never ahead of it).
      for (let tenth = 0; tenth < 600; tenth++) {
        const startMs = Date.now();
        const share = (0.2 * Math.floor(tenth / 10)) / 59;
        const events: RequestEventInput[] = [];
        for (let i = 0; i < perSecond / 10; i++) {
          // Errors spread evenly: the cumulative count of bad requests follows the share.
          const n = tenth * (perSecond / 10) + i;
          const bad = Math.floor((n + 1) * share + 1e-9) > Math.floor(n * share + 1e-9);
          if (bad) errorsSoFar++;
          events.push({
            id: `${service}-ramp-${n}`,
            ts: startMs,
            service,
            route: "/v1/things",
            method: "GET",
            status: bad ? 503 : 200,
            durationMs: 12,
          });
        }
        await sendRequests(producer, requestsTopic, events);
        sent.push(...events);
        await new Promise((r) => setTimeout(r, Math.max(0, startMs + 100 - Date.now())));
      }
    })();

    const webhooks = () =>
      receiver.received.map((r, i) => ({
        r,
        at: arrivals[i] as number,
        body: JSON.parse(r.body) as Body,
      }));
    const withSeverity = (severity: string) =>
      webhooks().filter(({ body }) =>
        body.data.alerts.some((a) => a.labels.severity === severity && a.status === "firing"),
      );
    const page = await waitFor("the page notification", async () => withSeverity("page")[0], {
      timeoutMs: 150_000,
      intervalMs: 50,
    });
    await ramp;
    expect(errorsSoFar).toBeGreaterThan(0);

    // When each tier's condition became true: the event (in time order) that took the error ratio
    // of everything sent above the tier's factor x budget (every window holds all of it here).
    const ordered = [...sent].sort((a, b) => Number(a.ts) - Number(b.ts));
    const crossing = (factor: number) => {
      let bad = 0;
      for (let i = 0; i < ordered.length; i++) {
        if ((ordered[i]?.status ?? 0) >= 500) bad++;
        if (bad / (i + 1) > factor * budget && i + 1 >= 20) return Number(ordered[i]?.ts);
      }
      return undefined;
    };
    const ticketTrueAt = crossing(1) as number;
    const pageTrueAt = crossing(6) as number;
    const fastPageTrueAt = crossing(14.4);
    expect(pageTrueAt).toBeGreaterThan(ticketTrueAt);
    const ticket = withSeverity("ticket")[0];
    const firedAt = async (tier: string) => {
      const list = await call(`/v1/alerts/history?sloId=${sloId}`);
      const e = (list.body.data as { labels: Record<string, string>; firedAt: string }[]).find(
        (x) => x.labels.tier === tier,
      );
      return e ? Date.parse(e.firedAt) : undefined;
    };
    const ticketFiredAt = await firedAt("ticket");
    const pageFiredAt = await firedAt("page-slow");
    const pageLatency = page.at - pageTrueAt;
    const fastPage = webhooks().find(({ body }) =>
      body.data.alerts.some((a) => a.labels.tier === "page-fast" && a.status === "firing"),
    );
    console.log(
      [
        "ramping outage, default policy (group_by alertname+severity, group_wait 10 s, escalation at once):",
        `  ticket (1x) condition true at +0 ms, ticket alert firing at +${(ticketFiredAt ?? Number.NaN) - ticketTrueAt} ms, ${
          ticket
            ? `delivered at +${ticket.at - ticketTrueAt} ms`
            : "never sent (inhibited by the page before its group_wait ended)"
        }`,
        `  page (6x) condition true at +${pageTrueAt - ticketTrueAt} ms, alert firing ${(pageFiredAt ?? Number.NaN) - pageTrueAt} ms later, page delivered ${pageLatency} ms after its condition (bound ${pageBoundMs} ms)`,
        `  page-fast (14.4x) condition true -> delivered: ${
          fastPageTrueAt !== undefined && fastPage ? fastPage.at - fastPageTrueAt : "n/a"
        } ms`,
      ].join("\n"),
    );
    expect(pageLatency).toBeGreaterThan(0);
    expect(pageLatency).toBeLessThanOrEqual(pageBoundMs);
    // The ticket's group notified at most once (its first flush) before the page: no repeat, and
    // the page was not batched behind it.
    const ticketsBefore = webhooks().filter(
      ({ at, body }) => at <= page.at && body.data.groupLabels.severity === "ticket",
    );
    expect(ticketsBefore.length).toBeLessThanOrEqual(1);
    expect(page.body.data.groupLabels).toMatchObject({ severity: "page" });
    for (const { r } of webhooks())
      expect(() => verifier.verify(r.body, r.headers as Record<string, string>)).not.toThrow();

    // The ticket alert fired before the page's condition was even true.
    expect(ticketFiredAt).toBeLessThan(pageTrueAt);

    // The SLO is deleted while its alerts fire: they resolve, stay listed (15 min; the resolved
    // notification follows at the group's next group_interval step), and keep their history.
    expect((await call(`/v1/slos/${sloId}`, "DELETE")).status).toBe(204);
    const resolvedOf = async () =>
      (
        (await call("/v1/alerts?status=resolved")).body.data as { labels: Record<string, string> }[]
      ).filter((a) => a.labels.slo_id === sloId);
    await waitFor("the SLO's alerts resolved", async () => (await resolvedOf()).length >= 3, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    await new Promise((r) => setTimeout(r, 3000)); // a few more evaluation ticks
    expect((await resolvedOf()).length).toBeGreaterThanOrEqual(3);
    const history = await call(`/v1/alerts/history?sloId=${sloId}`);
    expect(history.status).toBe(200);
    const entries = history.body.data as {
      status: string;
      severity: string;
      ruleName: string;
      slo: { id: string; definition: { name: string } };
    }[];
    expect(entries.length).toBe(3);
    expect(entries.every((e) => e.status === "resolved")).toBe(true);
    expect(entries.map((e) => e.severity)).toEqual(expect.arrayContaining(["page", "ticket"]));
    expect(entries[0]?.slo).toMatchObject({
      id: sloId,
      definition: { name: `${service} availability` },
    });
  }, 300_000);
});
