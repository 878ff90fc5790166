/**
 * Fixtures for the alert evaluator's unit tests: a migrated libSQL file in a temporary folder and
 * rows as the API and the other stages would store them (tenants, SLOs, windows, market events).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@libsql/client";
import type { Kafka } from "kafkajs";
import type { AlertRuleInput } from "../../core/alerts/index.ts";
import { alertRuleSchema } from "../../core/alerts/index.ts";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import {
  alertRules,
  marketEvents,
  notificationPolicies,
  requestMinutes,
  slos,
  tenants,
  webhookEndpoints,
} from "../../core/db/schema/index.ts";
import type { MarketEvent } from "../../core/events/market-event.ts";
import {
  encodeHistogram,
  newLatencyHistogram,
  recordDurationMs,
} from "../../core/latency/histogram.ts";
import { type SloDefinitionInput, sloDefinitionSchema } from "../../core/slo/definition.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { createTransitionRelay } from "./transitions-relay.ts";

export async function openTestDatabase() {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-alerts-"));
  const opened = await openDatabase({ url: `file:${join(dir, "alerts.db")}` });
  await applyMigrations(opened.db);
  return {
    db: opened.db,
    client: libsqlClient(opened.db),
    close() {
      opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function insertTenant(db: Database, id: string) {
  await db.insert(tenants).values({ id, name: id, createdAtMs: 0 });
  return id;
}

/** The `slos` row of a validated SLO definition, as the API stores it. */
export function sloRow(tenantId: string, id: string, input: SloDefinitionInput) {
  const slo = sloDefinitionSchema.parse(input);
  return {
    id,
    tenantId,
    name: slo.name,
    service: slo.service,
    routes: slo.routes,
    sli: slo.sli,
    objective: slo.objective,
    window: slo.window,
    tiers: slo.tiers,
    minEvents: slo.minEvents,
    createdAtMs: 0,
    updatedAtMs: 0,
  };
}

export async function insertSlo(
  db: Database,
  tenantId: string,
  id: string,
  input: SloDefinitionInput,
) {
  await db.insert(slos).values(sloRow(tenantId, id, input));
  return sloDefinitionSchema.parse(input);
}

export async function insertRule(db: Database, tenantId: string, input: AlertRuleInput) {
  const rule = alertRuleSchema.parse(input);
  await db.insert(alertRules).values({
    id: rule.id,
    tenantId,
    kind: rule.kind,
    rule,
    createdAtMs: 0,
    updatedAtMs: 0,
  });
  return rule;
}

/** A minute bucket of a route: `durationsMs` recorded, `bad` of them with status >= 500. */
export async function insertMinute(
  db: Database,
  w: { service: string; route: string; bucketStartMs: number; durationsMs: number[]; bad?: number },
) {
  const h = newLatencyHistogram();
  for (const d of w.durationsMs) recordDurationMs(h, d);
  const histogram = encodeHistogram(h);
  h.destroy();
  const total = w.durationsMs.length;
  await db.insert(requestMinutes).values({
    service: w.service,
    route: w.route,
    bucketStartMs: w.bucketStartMs,
    total,
    good: total - (w.bad ?? 0),
    goodWithin: {},
    histogram,
    updatedAtMs: w.bucketStartMs,
  });
}

export async function insertMarketEvent(db: Database, event: MarketEvent) {
  await db.insert(marketEvents).values({
    id: event.id,
    kind: event.kind,
    tsMs: event.ts,
    carrier: event.kind === "price" ? event.carrier : null,
    region: event.kind === "price" ? (event.region ?? "") : null,
    regions: event.kind === "subsidy" && event.regions !== "all" ? event.regions : null,
    program: event.kind === "subsidy" ? event.program : null,
    event,
    topic: "market.events.v1",
    partition: 0,
    offset: "0",
    receivedAtMs: event.ts,
  });
}

export const priceEvent = (
  id: string,
  tsMs: number,
  value: number,
  region?: string,
): MarketEvent => ({
  id,
  ts: tsMs,
  kind: "price",
  market: "GR",
  carrier: "electricity",
  value,
  unit: "EUR/kWh",
  ...(region ? { region } : {}),
});

/**
 * An availability SLO made for fast tests: page on 5m/2m windows, ticket on 10m/5m, over a one-day
 * window (factors 10.08 and 7.2: a full outage burns at 100x), at least `minEvents` per window.
 */
export const fastBurnSlo = (service: string, minEvents = 10): SloDefinitionInput => ({
  name: `${service} availability`,
  service,
  sli: { kind: "availability" },
  objective: 0.99,
  window: { kind: "rolling", days: 1 },
  tiers: [
    { name: "page", severity: "page", longWindow: "5m", shortWindow: "2m", budgetConsumed: 0.035 },
    {
      name: "ticket",
      severity: "ticket",
      longWindow: "10m",
      shortWindow: "5m",
      budgetConsumed: 0.05,
    },
  ],
  minEvents,
});

/** The tenant's notification policy: flush at once, then every second; grouped per alert and SLO. */
export async function insertFastPolicy(db: Database, tenantId: string) {
  await db.insert(notificationPolicies).values({
    id: `pol_${tenantId}`,
    tenantId,
    route: {
      id: "default",
      group_by: ["alertname", "slo_id"],
      group_wait: 0,
      group_interval: 1000,
      repeat_interval: 3_600_000,
      send_resolved: true,
      escalate_immediately: true,
    },
    inhibitRules: null,
    updatedAtMs: 0,
  });
}

export async function insertWebhook(
  db: Database,
  tenantId: string,
  id: string,
  disabledAtMs: number | null = null,
) {
  await db.insert(webhookEndpoints).values({
    id,
    tenantId,
    url: `https://hooks.example.test/${id}`,
    format: "gridpulse",
    secrets: [],
    disabledAtMs,
    createdAtMs: 0,
    updatedAtMs: 0,
  });
}

/**
 * Kafka at the module boundary for the transitions relay: transactional producers (a new one fences
 * the older ones of the deployment, as InitProducerId does), committed messages and the marker
 * group's committed offset; everything fails while `down`.
 */
export function memoryKafka() {
  const state = {
    down: false,
    epoch: 0,
    /** Committed messages, values parsed. */
    sent: [] as { topic: string; key: string; value: Record<string, unknown> & { to?: string } }[],
    markers: new Map<string, number>(),
  };
  const check = () => {
    if (state.down) throw new Error("broker unavailable");
  };
  const kafka = {
    producer: () => {
      let epoch = -1;
      return {
        connect: async () => check(),
        disconnect: async () => {},
        transaction: async () => {
          check();
          if (epoch < 0) epoch = ++state.epoch;
          const fenced = () => {
            check();
            if (epoch !== state.epoch) throw new Error("producer fenced");
          };
          const messages: typeof state.sent = [];
          let marker: [string, number] | undefined;
          return {
            send: async (r: { topic: string; messages: { key: string; value: string }[] }) => {
              fenced();
              for (const m of r.messages)
                messages.push({ topic: r.topic, key: m.key, value: JSON.parse(m.value) });
            },
            sendOffsets: async (o: {
              consumerGroupId: string;
              topics: { partitions: { offset: string }[] }[];
            }) => {
              fenced();
              marker = [o.consumerGroupId, Number(o.topics[0]?.partitions[0]?.offset)];
            },
            commit: async () => {
              fenced();
              state.sent.push(...messages);
              if (marker) state.markers.set(marker[0], marker[1]);
            },
            abort: async () => {},
          };
        },
      };
    },
    admin: () => ({
      connect: async () => check(),
      disconnect: async () => {},
      fetchOffsets: async (o: { groupId: string; topics: string[] }) => [
        {
          topic: o.topics[0],
          partitions: [{ partition: 0, offset: String(state.markers.get(o.groupId) ?? -1) }],
        },
      ],
    }),
  };
  return { state, kafka: kafka as unknown as Pick<Kafka, "producer" | "admin"> };
}

/** A relay over `memoryKafka` on the test database (topic alerts.transitions.v1). */
export const memoryRelay = (
  client: Client,
  kafka: Pick<Kafka, "producer" | "admin">,
  batchSize?: number,
) =>
  createTransitionRelay({
    client,
    kafka,
    topic: "alerts.transitions.v1",
    transactionalId: "test-alerts",
    markerGroupId: "test-alerts-relay",
    ...(batchSize ? { batchSize } : {}),
  });
