/**
 * `POST /v1/subscriber/subscriptions` under concurrency, on an embedded libSQL file (the
 * group-committing client the Node server uses): the token's `maxSubscriptions` and the tenant's
 * `PUSH_SUBSCRIPTIONS_MAX` both hold when registrations arrive at once.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { pushSubscriptions } from "../../../core/db/schema/index.ts";
import { tenantScope } from "../../tenancy/tenant-scope.ts";
import { fileHarnesses } from "../../testing/file-harness.ts";
import type { Harness } from "../../testing/harness.ts";

const fileHarness = fileHarnesses("subscriber-caps");

const keys = {
  p256dh: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
  auth: "BTBZMqHH6r4Tts7J_aSIgg",
};
const endpoint = (n: number | string) => `https://fcm.googleapis.com/fcm/send/device-${n}`;

async function newToken(h: Harness, key: string, maxSubscriptions?: number) {
  const res = await h.call("/v1/subscriber-tokens", key, {
    method: "POST",
    json: { name: "phone", ...(maxSubscriptions ? { maxSubscriptions } : {}) },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; token: string };
}

const subscribe = (h: Harness, token: string, n: number | string) =>
  h.call("/v1/subscriber/subscriptions", token, {
    method: "POST",
    json: { endpoint: endpoint(n), keys },
  });
const tenantSubscribe = (h: Harness, key: string, n: number | string) =>
  h.call("/v1/push/subscriptions", key, { method: "POST", json: { endpoint: endpoint(n), keys } });

const many = (n: number, request: (i: number) => Promise<Response>) =>
  Promise.all(Array.from({ length: n }, (_, i) => request(i)));
const statuses = (responses: Response[]) => responses.map((r) => r.status).sort();
const refusals = (responses: Response[]) =>
  Promise.all(responses.filter((r) => r.status !== 201).map((r) => r.json()));
const held = (h: Harness, tenantId: string, tokenId?: string) =>
  tenantScope(h.db, tenantId).list(
    pushSubscriptions,
    tokenId ? { where: eq(pushSubscriptions.subscriberTokenId, tokenId) } : {},
  );

describe("POST /v1/subscriber/subscriptions: caps under concurrent registrations", () => {
  it("a token with maxSubscriptions 1 registering 10 endpoints at once keeps exactly one", async () => {
    const h = await fileHarness();
    const { tenantId, key } = await h.tenant();
    const token = await newToken(h, key, 1);
    const responses = await many(10, (i) => subscribe(h, token.token, i));
    expect(statuses(responses)).toEqual([201, ...Array(9).fill(409)]);
    for (const body of await refusals(responses))
      expect(body).toEqual({
        error: {
          code: "conflict",
          message: "this token may register at most 1 subscriptions; delete one first",
        },
      });
    const rows = await held(h, tenantId, token.id);
    expect(rows).toHaveLength(1);
    const kept = (await (responses.find((r) => r.status === 201) as Response).json()) as {
      id: string;
    };
    expect(rows[0]?.id).toBe(kept.id);

    // Its own endpoint again, at the cap: an update; together with new ones: still one kept.
    const again = await Promise.all([
      subscribe(h, token.token, (rows[0]?.endpoint ?? "").slice(endpoint("").length)),
      ...Array.from({ length: 5 }, (_, i) => subscribe(h, token.token, `new-${i}`)),
    ]);
    expect(statuses(again)).toEqual([200, ...Array(5).fill(409)]);
    expect(await held(h, tenantId, token.id)).toHaveLength(1);
  });

  it("tokens of a tenant stay within PUSH_SUBSCRIPTIONS_MAX, with the tenant's own route", async () => {
    const h = await fileHarness({ PUSH_SUBSCRIPTIONS_MAX: "2" });
    const { tenantId, key } = await h.tenant();
    const token = await newToken(h, key, 10);
    const responses = await many(5, (i) => subscribe(h, token.token, i));
    expect(statuses(responses)).toEqual([201, 201, 409, 409, 409]);
    for (const body of await refusals(responses))
      expect(body).toEqual({
        error: {
          code: "conflict",
          message:
            "the tenant has 2 push subscriptions already, the most allowed; delete one first",
          details: { limit: 2, setting: "PUSH_SUBSCRIPTIONS_MAX" },
        },
      });
    expect(await held(h, tenantId)).toHaveLength(2);
    // The tenant's route refuses as the cap is reached, and the token's route as well.
    expect((await tenantSubscribe(h, key, "tenant")).status).toBe(409);
    expect((await subscribe(h, token.token, "later")).status).toBe(409);
    expect(await held(h, tenantId)).toHaveLength(2);
  });

  it("two tokens and the tenant's route at once: never more than either cap", async () => {
    const h = await fileHarness({ PUSH_SUBSCRIPTIONS_MAX: "3" });
    const { tenantId, key } = await h.tenant();
    const other = await h.tenant("other");
    const a = await newToken(h, key, 2);
    const b = await newToken(h, key, 2);
    const c = await newToken(h, other.key, 2);
    const [fromA, fromB, fromTenant, fromOther] = await Promise.all([
      many(6, (i) => subscribe(h, a.token, `a-${i}`)),
      many(6, (i) => subscribe(h, b.token, `b-${i}`)),
      many(6, (i) => tenantSubscribe(h, key, `t-${i}`)),
      many(6, (i) => subscribe(h, c.token, `c-${i}`)),
    ]);
    const all = [...fromA, ...fromB, ...fromTenant];
    expect(all.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    const createdBy = (responses: Response[]) => responses.filter((r) => r.status === 201).length;
    // Where two caps bind at once, a create may also be refused while a create refused for its own
    // cap is still there (never the other way): at least the first one stays, at most the cap.
    expect(createdBy(all)).toBeGreaterThanOrEqual(1);
    expect(createdBy(all)).toBeLessThanOrEqual(3);
    expect(createdBy(fromA)).toBeLessThanOrEqual(2);
    expect(createdBy(fromB)).toBeLessThanOrEqual(2);
    // Every 201 is a row kept, every 409 left none.
    expect(await held(h, tenantId)).toHaveLength(createdBy(all));
    expect(await held(h, tenantId, a.id)).toHaveLength(createdBy(fromA));
    expect(await held(h, tenantId, b.id)).toHaveLength(createdBy(fromB));
    // Another tenant's token is held to its own bound only.
    expect(statuses(fromOther)).toEqual([201, 201, 409, 409, 409, 409]);
    expect(await held(h, other.tenantId, c.id)).toHaveLength(2);
  });
});
