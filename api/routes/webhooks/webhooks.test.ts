import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deliveryAttempts, outbox, webhookEndpoints } from "../../../core/db/schema/index.ts";
import { outboxRowId } from "../../../core/notify/outbox-payload.ts";
import {
  activeSecrets,
  signWebhook,
  verifyWebhook,
} from "../../../core/notify/standard-webhooks.ts";
import { createHarness, type Harness } from "../../testing/harness.ts";

type Endpoint = {
  id: string;
  url: string;
  description: string | null;
  format: string;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  secrets: { createdAt: string; expiresAt: string | null }[];
  secret?: string;
};
type ErrorBody = {
  error: { code: string; message: string; details: { path: string; message: string }[] };
};
type Page<T> = { data: T[]; hasMore: boolean; nextCursor: string | null };

async function create(
  h: Harness,
  key: string,
  json: unknown = { url: "https://hooks.example.com/gp" },
) {
  const res = await h.call("/v1/webhooks", key, { method: "POST", json });
  expect(res.status).toBe(201);
  return (await res.json()) as Endpoint & { secret: string };
}

describe("/v1/webhooks", () => {
  it("shows the secret only at creation; lists and gets without it", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const ep = await create(h, key, {
      url: "https://hooks.example.com/gp",
      format: "alertmanager",
      description: "on-call",
    });
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(ep).toMatchObject({ format: "alertmanager", enabled: true, failingSince: null });
    expect(ep.secrets).toEqual([
      { createdAt: new Date(h.clock.nowMs).toISOString(), expiresAt: null },
    ]);
    const got = await (await h.call(`/v1/webhooks/${ep.id}`, key)).text();
    const listed = await (await h.call("/v1/webhooks", key)).text();
    for (const text of [got, listed]) {
      expect(text).toContain(ep.id);
      expect(text).not.toContain(ep.secret);
      expect(text).not.toContain("whsec_");
    }
    // The default format is gridpulse's own.
    expect((await create(h, key)).format).toBe("gridpulse");
  });

  it("refuses local and odd URLs with a clear 400 at body.url", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const cases: [string, RegExp][] = [
      ["http://127.0.0.1/hook", /loopback/],
      ["http://10.0.0.1/hook", /private/],
      ["https://169.254.169.254/latest/meta-data", /link-local/],
      ["http://[::1]/hook", /loopback/],
      ["http://[::ffff:127.0.0.1]/hook", /IPv4-mapped/],
      ["http://100.64.0.1/hook", /carrier-grade NAT/],
      ["http://localhost:8080/hook", /local host name/],
      ["ftp://example.com/x", /only http and https/],
      ["not a url", /not a URL/],
    ];
    for (const [url, reason] of cases) {
      const res = await h.call("/v1/webhooks", key, { method: "POST", json: { url } });
      expect(res.status, url).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.details[0]?.path).toBe("body.url");
      expect(body.error.message, url).toMatch(reason);
    }
    const bad = await h.call("/v1/webhooks", key, {
      method: "POST",
      json: { url: "https://ok.example.com", format: "slack", extra: 1 },
    });
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as ErrorBody).error.details.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["body.format"]));
    expect(await h.db.select().from(webhookEndpoints).all()).toHaveLength(0);
  });

  it("allows local URLs listed in NOTIFY_OUTBOUND_ALLOWLIST", async () => {
    const h = await createHarness({ settings: { NOTIFY_OUTBOUND_ALLOWLIST: "127.0.0.1/32" } });
    const { key } = await h.tenant();
    expect((await create(h, key, { url: "http://127.0.0.1:4000/hook" })).url).toBe(
      "http://127.0.0.1:4000/hook",
    );
  });

  it("PATCH re-checks the URL, changes the format and re-enables a disabled endpoint", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const ep = await create(h, key);
    const refused = await h.call(`/v1/webhooks/${ep.id}`, key, {
      method: "PATCH",
      json: { url: "http://10.1.2.3/x" },
    });
    expect(refused.status).toBe(400);
    // The dispatcher disabled it after failures.
    await h.db
      .update(webhookEndpoints)
      .set({
        disabledAtMs: h.clock.nowMs,
        disabledReason: "410 Gone",
        failingSinceMs: h.clock.nowMs - 1000,
      })
      .where(eq(webhookEndpoints.id, ep.id));
    const disabled = (await (await h.call(`/v1/webhooks/${ep.id}`, key)).json()) as Endpoint;
    expect(disabled).toMatchObject({ enabled: false, disabledReason: "410 Gone" });
    expect(disabled.failingSince).not.toBeNull();
    expect((await h.call(`/v1/webhooks/${ep.id}/test`, key, { method: "POST" })).status).toBe(409);
    const res = await h.call(`/v1/webhooks/${ep.id}`, key, {
      method: "PATCH",
      json: { enabled: true, format: "alertmanager", url: "https://other.example.com/x" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      enabled: true,
      disabledAt: null,
      disabledReason: null,
      failingSince: null,
      format: "alertmanager",
      url: "https://other.example.com/x",
    });
    const off = (await (
      await h.call(`/v1/webhooks/${ep.id}`, key, { method: "PATCH", json: { enabled: false } })
    ).json()) as Endpoint;
    expect(off).toMatchObject({ enabled: false, disabledReason: "disabled through the API" });
  });

  it("rotates the secret: shown once, old one signs until the grace ends", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const ep = await create(h, key);
    const t0 = h.clock.nowMs;
    h.clock.nowMs += 1000;
    const res = await h.call(`/v1/webhooks/${ep.id}/rotate-secret`, key, {
      method: "POST",
      json: { graceMs: 3_600_000 },
    });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as Endpoint & { secret: string };
    expect(rotated.secret).not.toBe(ep.secret);
    expect(rotated.secrets).toEqual([
      { createdAt: new Date(t0 + 1000).toISOString(), expiresAt: null },
      {
        createdAt: new Date(t0).toISOString(),
        expiresAt: new Date(t0 + 1000 + 3_600_000).toISOString(),
      },
    ]);
    expect(await (await h.call(`/v1/webhooks/${ep.id}`, key)).text()).not.toContain("whsec_");
    // What the dispatcher signs with: both during the grace period, only the new one after.
    const [row] = await h.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, ep.id));
    const secrets = (row?.secrets ?? []).map((s) => ({
      secret: s.secret,
      ...(s.expiresAtMs === null ? {} : { expiresAtMs: s.expiresAtMs }),
    }));
    const during = activeSecrets(secrets, t0 + 2000);
    expect(during.sort()).toEqual([ep.secret, rotated.secret].sort());
    const message = { id: "msg_1", timestampS: Math.floor((t0 + 2000) / 1000), body: "{}" };
    const headers = await signWebhook(message, during);
    for (const secret of [ep.secret, rotated.secret]) {
      expect(await verifyWebhook(headers, "{}", [secret], t0 + 2000)).toEqual({ ok: true });
    }
    expect(activeSecrets(secrets, t0 + 1000 + 3_600_001)).toEqual([rotated.secret]);
    // Default grace is 24 h; more than 7 days is refused.
    const again = (await (
      await h.call(`/v1/webhooks/${ep.id}/rotate-secret`, key, { method: "POST" })
    ).json()) as Endpoint;
    expect(again.secrets).toHaveLength(3);
    expect(again.secrets[1]?.expiresAt).toBe(new Date(h.clock.nowMs + 86_400_000).toISOString());
    const tooLong = await h.call(`/v1/webhooks/${ep.id}/rotate-secret`, key, {
      method: "POST",
      json: { graceMs: 8 * 86_400_000 },
    });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as ErrorBody).error.details[0]?.path).toBe("body.graceMs");
  });

  it("test-send queues an outbox row the dispatcher can pick up; messages page by cursor", async () => {
    const h = await createHarness();
    const { key, tenantId } = await h.tenant();
    const ep = await create(h, key);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      h.clock.nowMs += 1000;
      const res = await h.call(`/v1/webhooks/${ep.id}/test`, key, { method: "POST" });
      expect(res.status).toBe(202);
      const body = (await res.json()) as { messageId: string; idempotencyKey: string };
      expect(body.messageId).toBe(outboxRowId("webhook", ep.id, body.idempotencyKey));
      ids.push(body.messageId);
    }
    const [row] = await h.db
      .select()
      .from(outbox)
      .where(eq(outbox.id, ids[2] as string));
    expect(row).toMatchObject({
      tenantId,
      channel: "webhook",
      targetId: ep.id,
      trigger: "test",
      payload: { type: "test" },
      status: "pending",
      attempts: 0,
      nextAttemptAtMs: h.clock.nowMs,
    });
    const first = (await (
      await h.call(`/v1/webhooks/${ep.id}/messages?limit=2`, key)
    ).json()) as Page<{ id: string; trigger: string }>;
    expect(first.data.map((m) => m.id)).toEqual([ids[2], ids[1]]);
    const second = (await (
      await h.call(`/v1/webhooks/${ep.id}/messages?limit=2&cursor=${first.nextCursor}`, key)
    ).json()) as Page<{ id: string }>;
    expect(first.hasMore).toBe(true);
    expect(second).toEqual({
      data: [expect.objectContaining({ id: ids[0] })],
      hasMore: false,
      nextCursor: null,
    });
    const delivered = (await (
      await h.call(`/v1/webhooks/${ep.id}/messages?status=delivered`, key)
    ).json()) as Page<unknown>;
    expect(delivered.data).toEqual([]);
    expect((await h.call(`/v1/webhooks/${ep.id}/messages?cursor=zzz`, key)).status).toBe(400);
  });

  it("lists attempts and replays failed and cancelled messages with the same key", async () => {
    const h = await createHarness();
    const { key, tenantId } = await h.tenant();
    const ep = await create(h, key);
    const t0 = h.clock.nowMs;
    const statuses = ["failed", "cancelled", "delivered", "failed"];
    const ids = statuses.map((_, i) => outboxRowId("webhook", ep.id, `k${i}`));
    await h.db.insert(outbox).values(
      statuses.map((status, i) => ({
        id: ids[i] as string,
        tenantId,
        channel: "webhook",
        targetId: ep.id,
        idempotencyKey: `k${i}`,
        trigger: "alert",
        payload: { type: "test" },
        status,
        attempts: 8,
        nextAttemptAtMs: t0,
        createdAtMs: t0 - 10_000 + i * 1000,
        deliveredAtMs: null,
        lastError: status === "failed" ? "HTTP 500" : null,
      })),
    );
    await h.db.insert(deliveryAttempts).values(
      [500, 503, 200].map((statusCode, i) => ({
        id: `att_${i}`,
        tenantId,
        outboxId: ids[0] as string,
        channel: "webhook",
        targetId: ep.id,
        trigger: "alert",
        attempt: i + 1,
        statusCode,
        outcome: statusCode === 200 ? "delivered" : "retryable",
        durationMs: 12 + i,
        responseExcerpt: `status ${statusCode}`,
        atMs: t0 - 5000 + i * 1000,
      })),
    );
    type Attempt = { id: string; statusCode: number; outcome: string; responseExcerpt: string };
    const attempts = (await (
      await h.call(`/v1/webhooks/${ep.id}/attempts?limit=2`, key)
    ).json()) as Page<Attempt>;
    expect(attempts.data.map((a) => a.id)).toEqual(["att_2", "att_1"]);
    expect(attempts.hasMore).toBe(true);
    expect(attempts.data[0]).toMatchObject({
      messageId: ids[0],
      attempt: 3,
      trigger: "alert",
      statusCode: 200,
      outcome: "delivered",
      durationMs: 14,
      responseExcerpt: "status 200",
    });
    const rest = (await (
      await h.call(`/v1/webhooks/${ep.id}/attempts?limit=2&cursor=${attempts.nextCursor}`, key)
    ).json()) as Page<Attempt>;
    expect(rest.data.map((a) => a.id)).toEqual(["att_0"]);
    expect(rest).toMatchObject({ hasMore: false, nextCursor: null });
    // One message's attempts: ?messageId= narrows the same walk.
    await h.db.insert(deliveryAttempts).values({
      id: "att_other",
      tenantId,
      outboxId: ids[1] as string,
      channel: "webhook",
      targetId: ep.id,
      trigger: "alert",
      attempt: 1,
      statusCode: 410,
      outcome: "gone",
      durationMs: 9,
      responseExcerpt: null,
      atMs: t0 - 1000,
    });
    const ofMessage = async (messageId: string, query = "") =>
      (await (
        await h.call(`/v1/webhooks/${ep.id}/attempts?messageId=${messageId}${query}`, key)
      ).json()) as Page<Attempt>;
    expect((await ofMessage(ids[1] as string)).data.map((a) => a.id)).toEqual(["att_other"]);
    const firstOfMessage = await ofMessage(ids[0] as string, "&limit=2");
    expect(firstOfMessage.data.map((a) => a.id)).toEqual(["att_2", "att_1"]);
    const restOfMessage = await ofMessage(
      ids[0] as string,
      `&limit=2&cursor=${firstOfMessage.nextCursor}`,
    );
    expect(restOfMessage.data.map((a) => a.id)).toEqual(["att_0"]);
    // The one page size of every list: up to 500.
    expect((await h.call(`/v1/webhooks/${ep.id}/attempts?limit=500`, key)).status).toBe(200);
    expect((await h.call(`/v1/webhooks/${ep.id}/messages?limit=501`, key)).status).toBe(400);

    // Only failed/cancelled, narrowed by since.
    const since = new Date(t0 - 9_500).toISOString();
    const narrowed = await h.call(`/v1/webhooks/${ep.id}/replay`, key, {
      method: "POST",
      json: { since },
    });
    expect(narrowed.status).toBe(202);
    expect(((await narrowed.json()) as { messageIds: string[] }).messageIds.sort()).toEqual(
      [ids[1], ids[3]].sort(),
    );
    const byId = (await (
      await h.call(`/v1/webhooks/${ep.id}/replay`, key, {
        method: "POST",
        json: { messageIds: [ids[0], ids[2]] },
      })
    ).json()) as { replayed: number };
    expect(byId.replayed).toBe(1); // ids[2] was delivered
    const rows = await h.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.targetId, ep.id), eq(outbox.trigger, "replay")))
      .all();
    expect(rows.map((r) => r.idempotencyKey).sort()).toEqual(["k0", "k1", "k3"]);
    for (const r of rows)
      expect(r).toMatchObject({
        status: "pending",
        attempts: 0,
        nextAttemptAtMs: t0,
        lastError: null,
      });
    // Nothing left to replay.
    const none = (await (
      await h.call(`/v1/webhooks/${ep.id}/replay`, key, { method: "POST" })
    ).json()) as { replayed: number };
    expect(none.replayed).toBe(0);
  });

  it("delete cancels pending messages; another tenant gets 404 for every verb", async () => {
    const h = await createHarness();
    const owner = await h.tenant("A");
    const other = await h.tenant("B");
    const ep = await create(h, owner.key);
    await h.call(`/v1/webhooks/${ep.id}/test`, owner.key, { method: "POST" });
    const verbs: [string, string, unknown?][] = [
      ["GET", ""],
      ["PATCH", "", { description: "mine now" }],
      ["POST", "/rotate-secret", {}],
      ["POST", "/test"],
      ["GET", "/messages"],
      ["GET", "/attempts"],
      ["POST", "/replay", {}],
      ["DELETE", ""],
    ];
    for (const [method, suffix, json] of verbs) {
      const res = await h.call(`/v1/webhooks/${ep.id}${suffix}`, other.key, {
        method,
        ...(json === undefined ? {} : { json }),
      });
      expect(res.status, `${method} ${suffix}`).toBe(404);
    }
    const own = (await (await h.call(`/v1/webhooks/${ep.id}`, owner.key)).json()) as Endpoint;
    expect(own.secrets).toHaveLength(1);
    expect(own.description).toBeNull();
    expect(await h.db.select().from(outbox).all()).toHaveLength(1);
    expect((await h.call(`/v1/webhooks/${ep.id}`, owner.key, { method: "DELETE" })).status).toBe(
      204,
    );
    expect((await h.db.select().from(outbox).all())[0]).toMatchObject({
      status: "cancelled",
      lastError: "endpoint deleted",
    });
    expect((await h.call(`/v1/webhooks/${ep.id}`, owner.key)).status).toBe(404);
  });
});
