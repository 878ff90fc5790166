/**
 * The dashboards and the generated SLO rules against a real Prometheus scraping a real Node API and
 * stream worker (real Kafka broker, libSQL file) under load: the load generator's RequestEvents, HTTP
 * traffic to the API (which sends its own RequestEvents), ingest requests, invalid and late events.
 *  1. Every query of every provisioned dashboard, template variables filled in (All), parses and
 *     returns data; every metric family a panel reads is exported by the running processes (the
 *     notification panels get data from test-sends the stream worker delivers to a local receiver).
 *  2. The burn rates the generated rules record agree with gridpulse's GET /v1/slos/:id/status on the
 *     same traffic, within a relative tolerance of 5% (absolute 0.05 below burn rate 1), window by
 *     window; the remaining error budget within 0.05.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestDurationBucketsS } from "../../api/platform/node/metrics.ts";
import { marketPrices } from "../../core/db/schema/index.ts";
import { createTenantWithAdminKey } from "../../core/tenants/tenants.service.ts";
import { dashboardSchema } from "../../dev/dashboards/dashboard-schema.ts";
import {
  exportedFamilies,
  type PanelQuery,
  panelQueries,
  scrapedFamilies,
} from "../../dev/dashboards/panel-queries.ts";
import { renderRules, slosFromDatabase } from "../../dev/dashboards/rules-output.ts";
import { freePort, waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../notify/receivers.ts";
import { brokers, createTopics, testKafka, uniquePrefix } from "../support/kafka.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import { repoRoot, type ServiceProcess, startService } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import { startPrometheus, type TestPrometheus, waitForTargets } from "./prometheus.ts";
import { trafficFor } from "./traffic.ts";

const service = "edge-api-it";
const ingestToken = "ingest-token-0123456789";
const kafka = testKafka();
const tmp = mkdtempSync(join(tmpdir(), "gridpulse-dashboards-"));
const running: { stop(): Promise<unknown> }[] = [];
let api: ServiceProcess;
let worker: ServiceProcess;
let apiMetricsUrl: string;
let prometheus: TestPrometheus;
let traffic: ReturnType<typeof trafficFor>;
let sloIds: { availability: string; latency: string };
let trafficEndS: number;
/** Receives the notifications the stream worker delivers (test-sends and the burning SLO's alerts). */
let receiver: WebhookReceiver;

beforeAll(async () => {
  const prefix = uniquePrefix();
  await createTopics(kafka, prefix, 3);
  receiver = await startWebhookReceiver([]);
  running.push({ stop: () => receiver.close() });
  // The receiver is on loopback: allowed explicitly, at registration (API) and at delivery (stream).
  const allowlist = `127.0.0.1:${receiver.port}`;
  const stream = await startStreamWorker(prefix, {
    env: {
      NOTIFY_OUTBOUND_ALLOWLIST: allowlist,
      STREAM_EVAL_INTERVAL_MS: "200",
      STREAM_LATENCY_GAUGES_INTERVAL_MS: "1000",
      STREAM_LATENCY_THRESHOLDS_MS: "1,100,250",
      STREAM_INGEST_TOKEN: ingestToken,
    },
  });
  worker = stream.worker;
  running.push(worker);
  const { db, close } = await openDatabase({ url: stream.databaseUrl });
  const tenant = await createTenantWithAdminKey(db, { name: "ops", nowMs: Date.now() });
  // Market prices as the market-events consumer keeps them (national and one regional price).
  const price = { asOfMs: Date.now(), source: "test feed", updatedAtMs: Date.now() };
  await db.insert(marketPrices).values([
    { carrier: "electricity", region: "", eurPerKwh: 0.21, eventId: "m1", ...price },
    { carrier: "natural_gas", region: "", eurPerKwh: 0.09, eventId: "m2", ...price },
    { carrier: "electricity", region: "Attica", eurPerKwh: 0.2, eventId: "m3", ...price },
  ]);
  close();
  const metricsPort = await freePort();
  apiMetricsUrl = `http://127.0.0.1:${metricsPort}`;
  api = await startService("api/node.ts", {
    DATABASE_URL: stream.databaseUrl,
    API_METRICS_PORT: String(metricsPort),
    KAFKA_BROKERS: brokers().join(","),
    KAFKA_TOPIC_PREFIX: prefix,
    SERVICE_NAME: service,
    RATE_LIMIT_PER_S: "100000",
    RATE_LIMIT_BURST: "100000",
    NOTIFY_OUTBOUND_ALLOWLIST: allowlist,
    LOG_LEVEL: "warn",
  });
  running.push(api);
  traffic = trafficFor({
    apiUrl: api.url,
    apiKey: tenant.apiKey.key,
    workerUrl: worker.url,
    ingestToken,
    service,
    kafka,
    prefix,
  });

  // The SLOs gridpulse evaluates, and the Prometheus rules generated from the same stored rows.
  const created = await Promise.all(
    [
      { name: "it availability", sli: { kind: "availability" }, objective: 0.999 },
      { name: "it latency 1ms", sli: { kind: "latency", thresholdMs: 1 }, objective: 0.99 },
    ].map((s) =>
      traffic.call("/v1/slos", {
        method: "POST",
        json: { ...s, service, window: { kind: "rolling", days: 30 }, minEvents: 1 },
      }),
    ),
  );
  const [availability, latency] = created.map((c) => {
    expect(c.status).toBe(201);
    return (c.body as { id: string }).id;
  }) as [string, string];
  sloIds = { availability, latency };
  const endpoint = await traffic.call("/v1/webhooks", {
    method: "POST",
    json: { url: `${receiver.url}/hook`, format: "gridpulse", description: "dashboards test" },
  });
  expect(endpoint.status).toBe(201);
  const endpointId = (endpoint.body as { id: string }).id;
  const rules = renderRules(
    {
      sources: {
        [service]: {
          histogram: "gridpulse_api_request_duration_seconds",
          selector: 'job="gridpulse-api"',
          routeLabel: "route",
          statusLabel: "status",
          bucketsS: requestDurationBucketsS,
        },
      },
      slos: await slosFromDatabase(stream.databaseUrl, { tenantId: tenant.tenantId }),
    },
    { command: "test", testRuleFile: "x" },
  );
  const ruleFile = join(tmp, "it.rules.yml");
  writeFileSync(ruleFile, rules.rules);

  // Requests before a series' first scrape are invisible to rate(): create the series with one request
  // of each kind before Prometheus starts (gridpulse counts these few, Prometheus does not).
  await traffic.warmUp();
  prometheus = await startPrometheus({
    targets: {
      "gridpulse-stream": new URL(worker.url).host,
      "gridpulse-api": `127.0.0.1:${metricsPort}`,
    },
    labels: { "gridpulse-api": { service } },
    ruleFiles: [join(repoRoot, "dashboards/prometheus/rules/slos.rules.yml"), ruleFile],
  });
  running.push(prometheus);
  await waitForTargets(prometheus, ["gridpulse-api", "gridpulse-stream"]);
  await new Promise((r) => setTimeout(r, 1500));

  const trafficS = 25;
  const loadgen = traffic.loadgen(trafficS);
  running.push({ stop: async () => loadgen.kill() });
  await new Promise((r) => setTimeout(r, 5000));
  await Promise.all([
    traffic.http(trafficS - 5, 3),
    (async () => {
      await traffic.ingest();
      await traffic.lateEvents();
    })(),
    // Test-sends through the outbox and the dispatcher, so the notification panels have deliveries.
    (async () => {
      for (let i = 0; i < 5; i++) {
        const sent = await traffic.call(`/v1/webhooks/${endpointId}/test`, { method: "POST" });
        expect(sent.status).toBe(202);
        await new Promise((r) => setTimeout(r, 2000));
      }
    })(),
  ]);
  expect(await loadgen.exited).toBe(0);
  trafficEndS = Date.now() / 1000;
}, 240_000);

afterAll(async () => {
  for (const r of running.reverse()) await r.stop().catch(() => {});
  rmSync(tmp, { recursive: true, force: true });
});

type Status = {
  tiers: {
    name: string;
    longWindow: { window: string; burnRate: number | null; total: number };
    shortWindow: { window: string; burnRate: number | null; total: number; bad: number };
  }[];
  budget: { remaining: number | null; total: number };
};

const getStatus = async (id: string) =>
  (await traffic.call(`/v1/slos/${id}/status`)).body as Status;

describe("burn rates: generated Prometheus rules vs gridpulse", () => {
  it("agree window by window within the stated tolerance on the same traffic", async () => {
    // gridpulse has counted every request the API served once the stream worker's budget-window
    // count reaches the API's delivered telemetry (one RequestEvent per served request) and holds
    // still. It may exceed it by a few: the telemetry producer is at-least-once, and a send retried
    // under load can store an event twice. Both are read from /metrics, which makes no API request.
    let delivered = 0;
    let counted = 0;
    let previous = -1;
    /** The count a few samples back: whether it was still moving when the wait ended. */
    const history: number[] = [];
    await waitFor(
      "gridpulse to count every API request",
      async () => {
        delivered = sampleValue(
          await scrape(apiMetricsUrl),
          "gridpulse_api_telemetry_events_total",
          {
            outcome: "delivered",
          },
        );
        previous = counted;
        counted = sampleValue(await scrape(worker.url), "gridpulse_slo_events", {
          slo_id: sloIds.latency,
          window: "budget",
        });
        history.push(counted);
        return delivered > 0 && counted >= delivered && counted === previous;
      },
      // Two minutes: one CI run (a loaded 2-core machine, other suites running their own brokers)
      // timed out at one, 125 events short; the message below says what the worker held then.
      { timeoutMs: 120_000, intervalMs: 1000 },
    ).catch(async (e: Error) => {
      // What the stream worker holds or dropped, for a failure seen only under CI's load.
      const text = await scrape(worker.url).catch(() => "");
      const stream = Object.fromEntries(
        [
          "gridpulse_stream_events_processed_total",
          "gridpulse_stream_events_late_total",
          "gridpulse_stream_events_invalid_total",
          "gridpulse_stream_events_accumulated",
          "gridpulse_stream_replays_skipped_total",
          "gridpulse_stream_consumer_lag",
        ].map((name) => [name.replace("gridpulse_stream_", ""), sampleValue(text, name)]),
      );
      throw new Error(
        `${e.message} (delivered ${delivered}, counted ${counted}; counted 10 and 30 s before: ${history.at(-11)}, ${history.at(-31)}; stream ${JSON.stringify(stream)})`,
      );
    });
    expect(counted - delivered).toBeLessThanOrEqual(Math.ceil(delivered * 0.01));
    // The generated period ratio (Sloth-style) sums the 5-minute rates recorded at each evaluation:
    // until the 5-minute windows have slid past the traffic, a request is weighted by how many
    // evaluations have seen it, i.e. by its age. Over ~25 s of traffic read 3 s after it ends, ages
    // range 3..28 s and a changing error ratio (cold JIT early, load later) moves the period figure
    // by several percent. Read 60 s after the traffic: ages 60..85 s, a weighting bias below ~2%.
    // Every window compared still covers all the traffic (the shortest is 5 minutes).
    const settleMs = (trafficEndS + 60) * 1000 - Date.now();
    if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
    // Prometheus is read as of the moment gridpulse's status is computed, once it has scraped and
    // evaluated past that moment.
    const atS = Date.now() / 1000;
    const statuses = {
      availability: await getStatus(sloIds.availability),
      latency: await getStatus(sloIds.latency),
    };
    await new Promise((r) => setTimeout(r, 3000));
    const rows: string[] = [];
    const outside: string[] = [];
    let compared = 0;
    const compare = (what: string, gridpulse: number | null, prometheus: number | null) => {
      const line = `${what}: gridpulse ${gridpulse?.toFixed(4)} prometheus ${prometheus?.toFixed(4)}`;
      rows.push(line);
      compared++;
      if (gridpulse === null || prometheus === null) return outside.push(`${line} (no value)`);
      // 5% of the burn rate, at least 0.05 (two near-zero burn rates differ by more than 5%).
      const tolerance = Math.max(0.05, 0.05 * Math.abs(gridpulse));
      if (Math.abs(prometheus - gridpulse) > tolerance)
        outside.push(`${line} (tolerance ${tolerance})`);
    };
    for (const [kind, id] of Object.entries(sloIds)) {
      const objective = kind === "availability" ? 0.999 : 0.99;
      const status = statuses[kind as keyof typeof statuses];
      const windows = new Map<string, number | null>();
      for (const t of status.tiers)
        for (const w of [t.longWindow, t.shortWindow]) windows.set(w.window, w.burnRate);
      for (const [window, gridpulseBurn] of windows) {
        const [sample] = await prometheus.query(
          `slo:sli_error:ratio_rate${window}{slo_id="${id}"}`,
          atS,
        );
        const promBurn = sample?.value ? Number(sample.value[1]) / (1 - objective) : null;
        compare(`${kind} burn rate ${window}`, gridpulseBurn, promBurn);
      }
      // The budget spent (1 - remaining) is the period's burn rate: the same tolerance applies.
      const [budget] = await prometheus.query(`slo:period_burn_rate:ratio{slo_id="${id}"}`, atS);
      const remaining = status.budget.remaining;
      compare(
        `${kind} period burn rate (1 - budget remaining)`,
        remaining === null ? null : 1 - remaining,
        budget?.value ? Number(budget.value[1]) : null,
      );
    }
    console.log(
      `burn rates (${delivered} API requests delivered, ${counted} counted):\n  ${rows.join("\n  ")}`,
    );
    expect(outside).toEqual([]);
    expect(compared).toBe(12);
    // The latency SLO with a 1 ms threshold burns: the comparison is not of two zeros.
    expect(statuses.latency.tiers[0]?.shortWindow.burnRate).toBeGreaterThan(1);
  }, 180_000);
});

describe("dashboards", () => {
  it("every panel query parses and returns data", async () => {
    const exported = new Set([
      ...exportedFamilies(await scrape(apiMetricsUrl)),
      ...exportedFamilies(await scrape(worker.url)),
    ]);
    const dir = join(repoRoot, "dashboards/grafana/dashboards");
    const queries: PanelQuery[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
      const board = dashboardSchema.parse(JSON.parse(readFileSync(join(dir, file), "utf8")));
      const variables = Object.fromEntries(board.templating.list.map((v) => [v.name, v.allValue]));
      // The traffic lies within the last few minutes: rates over 3 minutes cover it.
      queries.push(
        ...panelQueries(board, { variables, rateInterval: "3m", range: "5m", interval: "5s" }),
      );
    }
    const skipped: string[] = [];
    const failures: string[] = [];
    const nowS = Date.now() / 1000;
    for (const q of queries) {
      const missing = scrapedFamilies(q.expr).filter((f) => !exported.has(f));
      if (missing.length > 0) {
        skipped.push(
          `${q.dashboard} / ${q.panel} [${q.refId}]: ${missing.join(", ")} not exported`,
        );
        continue;
      }
      try {
        const result = q.instant
          ? await prometheus.query(q.expr, nowS)
          : await prometheus.queryRange(q.expr, trafficEndS - 60, nowS, 5);
        const values = result.flatMap((s) => (s.value ? [s.value] : (s.values ?? [])));
        if (!values.some(([, v]) => Number.isFinite(Number(v))))
          failures.push(`${q.dashboard} / ${q.panel} [${q.refId}]: no data: ${q.expr}`);
      } catch (error) {
        failures.push(`${q.dashboard} / ${q.panel} [${q.refId}]: ${(error as Error).message}`);
      }
    }
    console.log(
      `${queries.length} panel queries, ${queries.length - skipped.length} sent to Prometheus; skipped ${skipped.length}:\n  ${skipped.join("\n  ")}`,
    );
    expect(failures).toEqual([]);
    expect(skipped).toEqual([]);
    // The receiver got the test-sends (and the burning latency SLO's page), each once per webhook-id.
    const testSends = receiver.received.filter((r) => r.body.includes("GridpulseTestNotification"));
    expect(new Set(testSends.map((r) => r.id)).size).toBe(5);
  });
});
