import { describe, expect, it } from "vitest";
import { outbox, pushSubscriptions, vapidKeys } from "../../../core/db/schema/index.ts";
import { generateVapidKeys, vapidKeyRowId } from "../../../core/notify/vapid.ts";
import { createHarness } from "../../testing/harness.ts";

type Subscription = { id: string; endpoint: string; filters: Record<string, unknown> };
type ErrorBody = { error: { message: string; details: { path: string; message: string }[] } };

/** A browser's PushSubscription.toJSON(): a real P-256 point and 16 random auth bytes. */
async function browserSubscription(endpoint = "https://fcm.googleapis.com/fcm/send/abc:def") {
  const { publicKey } = await generateVapidKeys();
  return {
    endpoint,
    expirationTime: null,
    keys: {
      p256dh: publicKey,
      auth: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url"),
    },
  };
}

describe("/v1/push", () => {
  it("serves one VAPID public key, generated once and stored for the stream worker", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const first = (await (await h.call("/v1/push/vapid-public-key", key)).json()) as {
      publicKey: string;
    };
    expect(first.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    const other = await h.tenant("B");
    const second = (await (await h.call("/v1/push/vapid-public-key", other.key)).json()) as {
      publicKey: string;
    };
    expect(second.publicKey).toBe(first.publicKey);
    const rows = await h.db.select().from(vapidKeys).all();
    expect(rows).toEqual([
      expect.objectContaining({ id: vapidKeyRowId, publicKey: first.publicKey }),
    ]);
    expect(rows[0]?.privateKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await h.call("/v1/push/vapid-public-key", undefined)).status).toBe(401);
  });

  it("serves the configured VAPID_PUBLIC_KEY without generating one", async () => {
    const configured = (await generateVapidKeys()).publicKey;
    const h = await createHarness({ settings: { VAPID_PUBLIC_KEY: configured } });
    const { key } = await h.tenant();
    expect(await (await h.call("/v1/push/vapid-public-key", key)).json()).toEqual({
      publicKey: configured,
    });
    expect(await h.db.select().from(vapidKeys).all()).toEqual([]);
  });

  it("registers, updates on the same endpoint (200), lists, gets, test-sends and deletes", async () => {
    const h = await createHarness();
    const { key, tenantId } = await h.tenant();
    const sub = await browserSubscription();
    const res = await h.call("/v1/push/subscriptions", key, {
      method: "POST",
      json: { ...sub, filters: { severities: ["page"], slos: ["slo_1"] } },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Subscription;
    expect(created).toMatchObject({
      id: expect.stringMatching(/^psub_/),
      endpoint: sub.endpoint,
      filters: { severities: ["page"], slos: ["slo_1"] },
    });
    expect(JSON.stringify(created)).not.toContain(sub.keys.auth);
    const renewed = await browserSubscription(sub.endpoint);
    const again = await h.call("/v1/push/subscriptions", key, {
      method: "POST",
      json: { ...renewed, filters: { marketKinds: ["price"] } },
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({
      id: created.id,
      filters: { marketKinds: ["price"] },
    });
    const rows = await h.db.select().from(pushSubscriptions).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ p256dh: renewed.keys.p256dh, auth: renewed.keys.auth });
    const list = (await (await h.call("/v1/push/subscriptions", key)).json()) as {
      data: Subscription[];
    };
    expect(list.data.map((s) => s.id)).toEqual([created.id]);
    expect((await h.call(`/v1/push/subscriptions/${created.id}`, key)).status).toBe(200);
    const test = await h.call(`/v1/push/subscriptions/${created.id}/test`, key, { method: "POST" });
    expect(test.status).toBe(202);
    const { messageId } = (await test.json()) as { messageId: string };
    expect(await h.db.select().from(outbox).all()).toEqual([
      expect.objectContaining({
        id: messageId,
        tenantId,
        channel: "push",
        targetId: created.id,
        trigger: "test",
        payload: { type: "test" },
        status: "pending",
      }),
    ]);
    const del = await h.call(`/v1/push/subscriptions/${created.id}`, key, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await h.db.select().from(outbox).all())[0]?.status).toBe("cancelled");
    expect((await h.call(`/v1/push/subscriptions/${created.id}`, key)).status).toBe(404);
  });

  it("refuses endpoints that are not https, not a known push service or local; bad keys", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const sub = await browserSubscription();
    const endpoints: [string, RegExp][] = [
      ["http://fcm.googleapis.com/fcm/send/x", /https/],
      ["https://push.example.com/x", /not a known push service/],
      ["https://127.0.0.1/push", /loopback/],
      ["https://[::ffff:127.0.0.1]/push", /IPv4-mapped/],
      ["https://169.254.169.254/push", /link-local/],
    ];
    for (const [endpoint, reason] of endpoints) {
      const res = await h.call("/v1/push/subscriptions", key, {
        method: "POST",
        json: { ...sub, endpoint },
      });
      expect(res.status, endpoint).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.details[0]?.path).toBe("body.endpoint");
      expect(body.error.message).toMatch(reason);
    }
    const badKeys = await h.call("/v1/push/subscriptions", key, {
      method: "POST",
      json: {
        ...sub,
        keys: { p256dh: sub.keys.p256dh.slice(0, 40), auth: "AAAA" },
        filters: { severities: ["loud"] },
      },
    });
    expect(badKeys.status).toBe(400);
    const paths = ((await badKeys.json()) as ErrorBody).error.details.map((d) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining(["body.keys.p256dh", "body.keys.auth", "body.filters.severities.0"]),
    );
  });

  it("refuses a p256dh that is not a point on P-256 (0x04 and 65 bytes are not enough), on both registration routes", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const token = (await (
      await h.call("/v1/subscriber-tokens", key, { method: "POST", json: { name: "phone" } })
    ).json()) as { token: string };
    const sub = await browserSubscription();
    const offCurve = new Uint8Array(65).fill(1);
    offCurve[0] = 4;
    const zero = new Uint8Array(65);
    zero[0] = 4;
    const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
    for (const [route, credential] of [
      ["/v1/push/subscriptions", key],
      ["/v1/subscriber/subscriptions", token.token],
    ] as const) {
      for (const p256dh of [b64u(offCurve), b64u(zero)]) {
        const res = await h.call(route, credential, {
          method: "POST",
          json: { ...sub, keys: { ...sub.keys, p256dh } },
        });
        expect(res.status, `${route} ${p256dh}`).toBe(400);
        const body = (await res.json()) as ErrorBody;
        expect(body.error.details).toEqual([
          expect.objectContaining({
            path: "body.keys.p256dh",
            message: "must be base64url of an uncompressed point on P-256 (65 bytes)",
          }),
        ]);
      }
      // A real browser key, padded as some browsers send it, is accepted.
      const ok = await h.call(route, credential, {
        method: "POST",
        json: { ...sub, keys: { ...sub.keys, p256dh: `${sub.keys.p256dh}=` } },
      });
      expect(ok.status, route).toBe(route === "/v1/push/subscriptions" ? 201 : 409);
    }
    expect(await h.db.select().from(pushSubscriptions).all()).toHaveLength(1);
  });

  it("accepts configured push hosts on allowlisted addresses (self-hosted services, tests)", async () => {
    const h = await createHarness({
      settings: {
        NOTIFY_PUSH_HOSTS: "127.0.0.1,*.push.example.net",
        NOTIFY_OUTBOUND_ALLOWLIST: "127.0.0.1/32",
      },
    });
    const { key } = await h.tenant();
    for (const endpoint of ["https://127.0.0.1:9443/push/1", "https://eu.push.example.net/x"]) {
      const res = await h.call("/v1/push/subscriptions", key, {
        method: "POST",
        json: await browserSubscription(endpoint),
      });
      expect(res.status, endpoint).toBe(201);
    }
  });

  it("another tenant gets 404 for every verb, and may register the same endpoint separately", async () => {
    const h = await createHarness();
    const owner = await h.tenant("A");
    const other = await h.tenant("B");
    const sub = await browserSubscription();
    const created = (await (
      await h.call("/v1/push/subscriptions", owner.key, { method: "POST", json: sub })
    ).json()) as Subscription;
    for (const [method, suffix] of [
      ["GET", ""],
      ["POST", "/test"],
      ["DELETE", ""],
    ] as const) {
      const res = await h.call(`/v1/push/subscriptions/${created.id}${suffix}`, other.key, {
        method,
      });
      expect(res.status, `${method} ${suffix}`).toBe(404);
    }
    expect(await h.db.select().from(outbox).all()).toEqual([]);
    const theirs = await h.call("/v1/push/subscriptions", other.key, { method: "POST", json: sub });
    expect(theirs.status).toBe(201);
    expect(((await theirs.json()) as Subscription).id).not.toBe(created.id);
    expect((await h.call(`/v1/push/subscriptions/${created.id}`, owner.key)).status).toBe(200);
  });
});
