/**
 * Node-only: the API's Prometheus metrics (prom-client) — request duration by route pattern, method and
 * status, in-flight requests, rate-limited requests, telemetry delivery, assessments by class and
 * climate zone, the latest market prices (read from the database at scrape time), the embedded
 * database's group commits and WAL checkpoints (platform/db/metrics.ts), and Node's process metrics
 * (event-loop lag included). Served on their own loopback port, not on the public API port.
 *
 * With `exemplars` (trace export on), each request duration observation carries the request's trace
 * id as an exemplar. `/metrics` answers in Prometheus' text format 0.0.4, or in OpenMetrics when the
 * scrape's Accept header asks for `application/openmetrics-text` (`exposition`); exemplars appear in
 * OpenMetrics only (the text format has no room for them).
 *
 * Of prom-client's default metrics, the gauges `nodejs_active_handles_total`,
 * `nodejs_active_requests_total` and `nodejs_active_resources_total` are left out: a gauge named
 * `_total` fails `promtool check metrics`, and `sum(nodejs_active_handles)` (by type) etc. give the same.
 */
import {
  Counter,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
  type RegistryContentType,
} from "prom-client";
import { databaseMetrics } from "../../../platform/db/metrics.ts";
import { collectProcessMetrics } from "../../../platform/metrics.ts";
import type { RequestMetrics } from "../../observe/request-metrics.ts";

/** Bucket bounds of the request duration histogram (dashboards/slos.yaml lists the same). */
export const requestDurationBucketsS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export interface MarketPriceSample {
  carrier: string;
  region: string;
  eurPerKwh: number;
}

export function createApiMetrics(
  options: {
    marketPrices?: () => Promise<MarketPriceSample[]>;
    /** What the Kafka telemetry sink holds right now (absent: telemetry is off). */
    telemetryBuffered?: () => { events: number; bytes: number } | undefined;
    /** Keep trace exemplars on request durations (OpenMetrics exposition). */
    exemplars?: boolean;
  } = {},
) {
  const registry = new Registry<RegistryContentType>();
  // prom-client keeps exemplars only on an OpenMetrics registry (Prometheus scrapes either format).
  if (options.exemplars) registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectProcessMetrics(registry, { eventLoopMonitoringPrecision: 10 });
  const registers = [registry];
  const duration = new Histogram({
    name: "gridpulse_api_request_duration_seconds",
    help: "API request duration by route pattern, method and status.",
    labelNames: ["route", "method", "status"] as const,
    buckets: requestDurationBucketsS,
    registers,
    enableExemplars: options.exemplars === true,
  });
  const inFlight = new Gauge({
    name: "gridpulse_api_requests_in_flight",
    help: "Requests being served.",
    registers,
  });
  const rateLimited = new Counter({
    name: "gridpulse_api_rate_limited_total",
    help: "Requests refused with 429 by the per-key rate limit.",
    registers,
  });
  const authFailures = new Counter({
    name: "gridpulse_api_auth_failures_total",
    help: "Requests that failed authentication, by outcome: unauthorized (401) or rate_limited (429, too many failures from the client address).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const unreadBodies = new Counter({
    name: "gridpulse_api_unread_bodies_total",
    help: "Request bodies answered before they were read: drained (connection kept) or closed (Connection: close).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const clientErrors = new Counter({
    name: "gridpulse_api_client_errors_total",
    help: "Requests Node's HTTP parser refused before the app saw them, by error code (headers_too_large, request_timeout, bad_request).",
    labelNames: ["code"] as const,
    registers,
  });
  const telemetry = new Counter({
    name: "gridpulse_api_telemetry_events_total",
    help: "The API's own RequestEvents, by outcome (delivered, dropped_buffer_full, dropped_rejected, dropped_shutdown).",
    labelNames: ["outcome"] as const,
    registers,
  });
  const telemetryRecorded = new Counter({
    name: "gridpulse_api_telemetry_recorded_total",
    help: "The API's own RequestEvents recorded; each is counted once under an outcome when delivered or dropped.",
    registers,
  });
  const { telemetryBuffered } = options;
  new Gauge({
    name: "gridpulse_api_telemetry_buffered_events",
    help: "RequestEvents waiting in the API's telemetry buffer (the batch in flight included).",
    registers,
    collect() {
      this.set(telemetryBuffered?.()?.events ?? 0);
    },
  });
  new Gauge({
    name: "gridpulse_api_telemetry_buffered_bytes",
    help: "Serialized bytes held by the API's telemetry buffer (capped by API_TELEMETRY_BUFFER_BYTES).",
    registers,
    collect() {
      this.set(telemetryBuffered?.()?.bytes ?? 0);
    },
  });
  const assessments = new Counter({
    name: "gridpulse_assessments_total",
    help: "Assessments computed and stored, by KENAK energy class and climate zone.",
    labelNames: ["energy_class", "climate_zone"] as const,
    registers,
  });
  const { marketPrices } = options;
  const marketPriceReadErrors = new Counter({
    name: "gridpulse_market_price_read_errors_total",
    help: "Scrapes whose read of the latest market prices failed (the prices are absent from that scrape).",
    registers,
  });
  new Gauge({
    name: "gridpulse_market_price_eur_per_kwh",
    help: "Latest retail energy price per carrier and region (region national for the country-wide price), as assessments use it.",
    labelNames: ["carrier", "region"] as const,
    registers,
    async collect() {
      if (!marketPrices) return;
      this.reset();
      // A failed read leaves the prices absent for this scrape rather than failing /metrics.
      const prices = await marketPrices().catch(() => {
        marketPriceReadErrors.inc();
        return [];
      });
      for (const p of prices)
        this.set({ carrier: p.carrier, region: p.region || "national" }, p.eurPerKwh);
    },
  });
  const database = databaseMetrics(registers);
  const requestMetrics: RequestMetrics = {
    started: () => inFlight.inc(),
    finished: options.exemplars
      ? ({ route, method, status }, durationS, traceId) => {
          inFlight.dec();
          duration.observe({
            labels: { route, method, status: String(status) },
            value: durationS,
            // prom-client types exemplar labels like metric labels; any names are allowed.
            exemplarLabels: (traceId ? { trace_id: traceId } : {}) as Record<string, string>,
          });
        }
      : ({ route, method, status }, durationS) => {
          inFlight.dec();
          duration.observe({ route, method, status: String(status) }, durationS);
        },
    rateLimited: () => rateLimited.inc(),
    authFailed: (outcome) => authFailures.inc({ outcome }),
    assessed: ({ energyClass, climateZone }) =>
      assessments.inc({ energy_class: energyClass, climate_zone: climateZone }),
  };
  return {
    registry,
    requestMetrics,
    telemetry,
    telemetryRecorded,
    unreadBodies,
    clientErrors,
    database,
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/**
 * Whether a scrape's Accept header asks for OpenMetrics: `application/openmetrics-text` with a q above
 * 0 and not below that of Prometheus' text format (`text/plain`, `text/*` or any type). No header, or
 * anything else: the text format.
 */
export function wantsOpenMetrics(accept: string | null | undefined): boolean {
  let openMetrics = 0;
  let text = 0;
  for (const range of (accept ?? "").split(",")) {
    const [type = "", ...params] = range.split(";").map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!(q > 0 && q <= 1)) continue;
    if (type === "application/openmetrics-text") openMetrics = Math.max(openMetrics, q);
    else if (type === "text/plain" || type === "text/*" || type === "*/*") text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text;
}

type Snapshot = MetricObjectWithValues<MetricValue<string>>;
/** prom-client's own serialiser of one metric (per registry content type), fed a snapshot. */
type Serialiser = { getMetricsAsString(metric: { get(): Promise<Snapshot> }): Promise<string> };
function serialiser(contentType: RegistryContentType): Serialiser {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType);
  return registry as unknown as Serialiser;
}
const serialisers = {
  text: serialiser(Registry.PROMETHEUS_CONTENT_TYPE),
  openMetrics: serialiser(Registry.OPENMETRICS_CONTENT_TYPE),
};

/**
 * `/metrics` of `registry` in the format the Accept header asks for (`wantsOpenMetrics`): Prometheus'
 * text format 0.0.4 without exemplars, or OpenMetrics 1.0 with them. Both are written by prom-client's
 * serialiser from one snapshot of the metrics; the registry itself is never switched (prom-client's
 * OpenMetrics `metrics()` renames counters in place, which would leak into later text scrapes).
 */
export async function exposition(
  registry: Registry<RegistryContentType>,
  accept: string | null | undefined,
): Promise<{ contentType: string; body: string }> {
  const openMetrics = wantsOpenMetrics(accept);
  const serialiser = openMetrics ? serialisers.openMetrics : serialisers.text;
  const snapshots = await registry.getMetricsAsJSON();
  const families = await Promise.all(
    snapshots.map((snapshot) =>
      serialiser.getMetricsAsString({
        // OpenMetrics names a counter family without `_total` and its sample with it.
        get: async () =>
          openMetrics && String(snapshot.type) === "counter"
            ? { ...snapshot, name: snapshot.name.replace(/_total$/, "") }
            : snapshot,
      }),
    ),
  );
  return openMetrics
    ? {
        contentType: Registry.OPENMETRICS_CONTENT_TYPE,
        body: `${families.join("\n")}\n# EOF\n`,
      }
    : { contentType: Registry.PROMETHEUS_CONTENT_TYPE, body: `${families.join("\n\n")}\n` };
}
