/**
 * Per-tenant caps under concurrency, on an embedded libSQL file (the group-committing client the
 * Node server uses): of creates fired at once from below the cap, exactly `max` succeed and the rest
 * are refused, and the tenant is left with exactly `max` rows.
 */
import { describe, expect, it } from "vitest";
import { pushSubscriptions, webhookEndpoints } from "../../core/db/schema/index.ts";
import { tenantScope } from "../tenancy/tenant-scope.ts";
import { fileHarnesses } from "../testing/file-harness.ts";

const fileHarness = fileHarnesses("caps");

const keys = {
  p256dh: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
  auth: "BTBZMqHH6r4Tts7J_aSIgg",
};

const statuses = (responses: Response[]) => responses.map((r) => r.status).sort();
const errorsOf = async (responses: Response[]) =>
  Promise.all(responses.filter((r) => r.status !== 201).map((r) => r.json()));

describe("caps per tenant under concurrent creates", () => {
  it("POST /v1/webhooks: of 10 at once, exactly WEBHOOK_ENDPOINTS_MAX succeed", async () => {
    const h = await fileHarness({ WEBHOOK_ENDPOINTS_MAX: "2" });
    const a = await h.tenant("a");
    const b = await h.tenant("b");
    const create = (key: string, i: number) =>
      h.call("/v1/webhooks", key, {
        method: "POST",
        json: { url: `https://hooks.example.com/gp/${i}` },
      });
    // Two tenants at once: each cap counts its own tenant's rows only.
    const [fromA, fromB] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, (_, i) => create(a.key, i))),
      Promise.all(Array.from({ length: 10 }, (_, i) => create(b.key, i))),
    ]);
    const expected = [...Array(2).fill(201), ...Array(8).fill(409)];
    expect(statuses(fromA)).toEqual(expected);
    expect(statuses(fromB)).toEqual(expected);
    for (const body of await errorsOf(fromA))
      expect(body).toEqual({
        error: {
          code: "conflict",
          message: "the tenant has 2 webhook endpoints already, the most allowed; delete one first",
          details: { limit: 2, setting: "WEBHOOK_ENDPOINTS_MAX" },
        },
      });
    for (const tenant of [a, b]) {
      const rows = await tenantScope(h.db, tenant.tenantId).list(webhookEndpoints);
      expect(rows).toHaveLength(2);
    }
    // The ones answered 201 are the ones kept.
    const kept = await Promise.all(
      fromA
        .filter((r) => r.status === 201)
        .map(async (r) => ((await r.json()) as { id: string }).id),
    );
    const stored = await tenantScope(h.db, a.tenantId).list(webhookEndpoints);
    expect(stored.map((r) => r.id).sort()).toEqual(kept.sort());
    expect((await create(a.key, 99)).status).toBe(409);

    // From one below the cap: exactly one more.
    const c = await h.tenant("c");
    expect((await create(c.key, 0)).status).toBe(201);
    const more = await Promise.all(Array.from({ length: 10 }, (_, i) => create(c.key, i + 1)));
    expect(statuses(more)).toEqual([201, ...Array(9).fill(409)]);
    expect(await tenantScope(h.db, c.tenantId).list(webhookEndpoints)).toHaveLength(2);
  });

  it("POST /v1/push/subscriptions: of 10 at once, exactly PUSH_SUBSCRIPTIONS_MAX succeed", async () => {
    const h = await fileHarness({ PUSH_SUBSCRIPTIONS_MAX: "3" });
    const { key, tenantId } = await h.tenant();
    const subscribe = (i: number) =>
      h.call("/v1/push/subscriptions", key, {
        method: "POST",
        json: { endpoint: `https://fcm.googleapis.com/fcm/send/device-${i}`, keys },
      });
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => subscribe(i)));
    expect(statuses(responses)).toEqual([...Array(3).fill(201), ...Array(7).fill(409)]);
    for (const body of await errorsOf(responses))
      expect(body).toMatchObject({
        error: { code: "conflict", details: { limit: 3, setting: "PUSH_SUBSCRIPTIONS_MAX" } },
      });
    const stored = await tenantScope(h.db, tenantId).list(pushSubscriptions);
    expect(stored).toHaveLength(3);
    // At the cap, a kept endpoint sent again is still an update.
    const again = await subscribe(
      Number(
        (stored[0]?.endpoint ?? "").slice("https://fcm.googleapis.com/fcm/send/device-".length),
      ),
    );
    expect(again.status).toBe(200);
  });
});
