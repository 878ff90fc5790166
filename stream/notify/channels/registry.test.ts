import type { Client } from "@libsql/client";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { type OutboxChannel, outboxChannels } from "../../../core/notify/outbox-payload.ts";
import { defaultWebhookRetryPolicy } from "../../../core/notify/retry.ts";
import { silentLogger } from "../../../core/observability/logger.ts";
import { loadNotifyConfig } from "../config.ts";
import { createDispatcher } from "../dispatcher.ts";
import { createNotifyMetrics, recordAttempt } from "../metrics.ts";
import { createOutboundAgents } from "../outbound-http.ts";
import type { AttemptRecord, ClaimedRow, OutboxStore, RowUpdate } from "../outbox-store.ts";
import {
  type ChannelModule,
  createChannels,
  type NotifyChannel,
  type SentAttempt,
} from "./channel.ts";
import { loadVapidKeys, memoryVapidKeyStore } from "./push/vapid-keys.ts";
import { notifyChannelRegistry } from "./registry.ts";
import { webhookChannel } from "./webhook/webhook.channel.ts";

interface Phone {
  id: string;
  tenantId: string;
  number: string;
}

/**
 * A channel that exists only in this test (the module boundary: its "sender" is an array), built as
 * a real channel folder would be: load, refuse, render, send, retry policy, settle.
 */
function smsChannel(sent: { to: string; text: string }[]): ChannelModule {
  const phones = new Map<string, Phone>([
    ["ph_ok", { id: "ph_ok", tenantId: "t1", number: "+100" }],
    ["ph_gone", { id: "ph_gone", tenantId: "t1", number: "+404" }],
    ["ph_other", { id: "ph_other", tenantId: "t2", number: "+200" }],
  ]);
  return {
    async create({ metrics, clock }) {
      const channel: NotifyChannel<Phone, string> = {
        outcomes: ["delivered", "failed", "invalid"],
        load: async (id) => phones.get(id),
        refuse: (row, phone) =>
          !phone || phone.tenantId !== row.tenantId ? "phone gone" : undefined,
        render(payload) {
          if (payload.type !== "test")
            throw new Error(`sms renders tests only, not ${payload.type}`);
          return "gridpulse test";
        },
        async send(phone, text, row) {
          sent.push({ to: phone.number, text });
          const attempt: SentAttempt =
            phone.number === "+404"
              ? {
                  outcome: "failed",
                  status: 404,
                  durationMs: 1,
                  attemptedAtMs: clock(),
                  responseExcerpt: "",
                }
              : {
                  outcome: "delivered",
                  durationMs: 1,
                  attemptedAtMs: clock(),
                  responseExcerpt: "",
                };
          recordAttempt(metrics, "sms", attempt, row.createdAtMs);
          return attempt;
        },
        retry: () => ({ policy: defaultWebhookRetryPolicy }),
        async settle({ target, attempt, step }) {
          if (attempt.outcome !== "failed") return { step, statements: [], forgetTarget: false };
          // A number the carrier does not know: forget it, give up on the row.
          return {
            step: { action: "give_up", reason: "endpoint_gone" },
            statements: [{ sql: "DELETE FROM sms_phones WHERE id = ?", args: [target.id] }],
            forgetTarget: true,
          };
        },
        close() {},
      };
      return channel;
    },
  };
}

/** The outbox store at its module boundary: due rows in, cancellations and finished attempts out. */
function fakeStore(due: ClaimedRow[]) {
  const cancelled: { id: string; reason: string }[] = [];
  const finished: {
    id: string;
    attempt: AttemptRecord;
    update: RowUpdate;
    statements: unknown[];
  }[] = [];
  const store: OutboxStore = {
    claimDue: async (_nowMs, limit) => due.splice(0, limit),
    targetsVersion: async () => 1,
    release: async () => {},
    async cancel(row, reason) {
      cancelled.push({ id: row.id, reason });
      return true;
    },
    async finish(row, attempt, update, statements) {
      finished.push({ id: row.id, attempt, update, statements });
      return true;
    },
    backlog: async () => ({ sms: 2 }),
  };
  return { store, cancelled, finished };
}

const row = (id: string, channel: string, targetId: string, payload: unknown): ClaimedRow => ({
  id,
  tenantId: "t1",
  channel,
  targetId,
  idempotencyKey: `key_${id}`,
  trigger: "test",
  payload,
  attempts: 0,
  createdAtMs: 1_000,
  leaseUntilMs: 61_000,
});

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

describe("channel registry", () => {
  it("has exactly core's outbox channels", () => {
    expect(Object.keys(notifyChannelRegistry).sort()).toEqual([...outboxChannels].sort());
    // The type system refuses a registry without one of core's channels …
    // @ts-expect-error push is missing
    const missing = { webhook: webhookChannel } satisfies Record<OutboxChannel, ChannelModule>;
    // … and one naming a channel core does not know.
    const extra = {
      webhook: webhookChannel,
      push: webhookChannel,
      // @ts-expect-error fax is not an outbox channel
      fax: webhookChannel,
    } satisfies Record<OutboxChannel, ChannelModule>;
    expect(Object.keys(missing)).toHaveLength(1);
    expect(Object.keys(extra)).toHaveLength(3);
  });

  it("a channel added by one registry line gets its rows from the dispatcher, which names none", async () => {
    const sent: { to: string; text: string }[] = [];
    const registry = { ...notifyChannelRegistry, sms: smsChannel(sent) };

    const vapid = await loadVapidKeys({ store: memoryVapidKeyStore() });
    const config = loadNotifyConfig({
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
    });
    const prom = new Registry();
    const metrics = createNotifyMetrics([prom]);
    const agents = createOutboundAgents();
    closers.push(() => agents.destroy());
    // The database at its boundary: with VAPID keys configured, only the webhook channel's
    // disabled-endpoint count reads it (none disabled).
    const client = { execute: async () => ({ rows: [{ n: 0 }] }) } as unknown as Client;
    const channels = await createChannels(registry, {
      client,
      config,
      metrics,
      logger: silentLogger,
      agents,
      clock: () => 5_000,
    });
    closers.push(() => {
      for (const c of channels.values()) c.close();
    });
    expect([...channels.keys()]).toEqual(["webhook", "push", "sms"]);

    const { store, cancelled, finished } = fakeStore([
      row("o1", "sms", "ph_ok", JSON.stringify({ type: "test" })),
      row("o2", "sms", "ph_gone", JSON.stringify({ type: "test" })),
      row("o3", "sms", "ph_missing", JSON.stringify({ type: "test" })),
      row("o4", "sms", "ph_other", JSON.stringify({ type: "test" })),
      row("o5", "sms", "ph_ok", "not json"),
      row(
        "o6",
        "sms",
        "ph_ok",
        JSON.stringify({
          type: "endpoint_disabled",
          endpointId: "wh_1",
          url: "https://hooks.example",
          reason: "the endpoint answered 410 Gone",
          disabledAtMs: 1_000,
        }),
      ),
      row("o7", "fax", "fx_1", JSON.stringify({ type: "test" })),
    ]);
    const dispatcher = createDispatcher({
      store,
      channels,
      metrics,
      logger: silentLogger,
      clock: () => 5_000,
      random: () => 0.5,
      settings: {
        concurrency: 4,
        pollIntervalMs: 10,
        batchSize: 10,
        leaseMs: 60_000,
        gaugesIntervalMs: 60_000,
      },
    });
    expect(await dispatcher.drainOnce()).toBe(7);

    // Only the two rows with a target of the tenant and a renderable payload reached the "sender".
    expect(sent).toEqual([
      { to: "+100", text: "gridpulse test" },
      { to: "+404", text: "gridpulse test" },
    ]);
    expect(cancelled.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "o3", reason: "phone gone" },
      { id: "o4", reason: "phone gone" },
      { id: "o7", reason: "unknown channel fax" },
    ]);
    const byId = new Map(finished.map((f) => [f.id, f]));
    expect(byId.get("o1")).toMatchObject({
      attempt: { attempt: 1, outcome: "delivered" },
      update: { status: "delivered", atMs: 5_000 },
      statements: [],
    });
    // The channel settled the permanent failure: its statements ride in the attempt's transaction.
    expect(byId.get("o2")).toMatchObject({
      attempt: { outcome: "failed", status: 404 },
      update: { status: "failed", error: "endpoint_gone: HTTP 404" },
      statements: [{ sql: "DELETE FROM sms_phones WHERE id = ?", args: ["ph_gone"] }],
    });
    expect(byId.get("o5")).toMatchObject({
      attempt: { outcome: "invalid", error: "payload is not JSON" },
      update: { status: "failed" },
    });
    expect(byId.get("o6")).toMatchObject({
      attempt: { outcome: "invalid" },
      update: { status: "failed" },
    });
    expect(byId.get("o6")?.attempt.error).toContain("sms renders tests only");
    expect(finished).toHaveLength(4);

    // Its metric series exist from the start and count its attempts; the gauges cover it too.
    await dispatcher.refreshGauges();
    const deliveries = (await prom.getSingleMetric("gridpulse_notify_deliveries_total")?.get())
      ?.values;
    const count = (channel: string, outcome: string) =>
      deliveries?.find((v) => v.labels.channel === channel && v.labels.outcome === outcome)?.value;
    expect(count("sms", "delivered")).toBe(1);
    expect(count("sms", "failed")).toBe(1);
    expect(count("sms", "invalid")).toBe(2);
    expect(count("webhook", "delivered")).toBe(0);
    expect(count("push", "delete_subscription")).toBe(0);
    expect(count("webhook", "delete_subscription")).toBeUndefined();
    const backlog = (await prom.getSingleMetric("gridpulse_notify_retry_backlog")?.get())?.values;
    expect(backlog?.find((v) => v.labels.channel === "sms")?.value).toBe(2);
  });
});
