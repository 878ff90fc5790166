/**
 * Idempotency-Key replays pass the route's own authorisation: through the real app, a read-only key
 * replaying an admin's key creation gets the route's 403, never the new admin key; a refusal is not
 * kept for another key; another key of the tenant with the scope replays the answer.
 */
import { describe, expect, it } from "vitest";
import { createHarness } from "../testing/harness.ts";
import { IDEMPOTENCY_HEADER } from "./idempotency.ts";

const createAdminKey = { name: "ci deploy", scopes: ["admin"] };

async function keys() {
  const h = await createHarness();
  const admin = await h.tenant();
  const made = await h.call("/v1/api-keys", admin.key, {
    method: "POST",
    json: { name: "dashboard", scopes: ["read"] },
  });
  const reader = ((await made.json()) as { key: string }).key;
  const post = (key: string, idempotencyKey: string) =>
    h.call("/v1/api-keys", key, {
      method: "POST",
      json: createAdminKey,
      headers: { [IDEMPOTENCY_HEADER]: idempotencyKey },
    });
  return { h, admin: admin.key, reader, post };
}

describe("Idempotency-Key replays and scopes", () => {
  it("answers a key without the route's scope 403, not the replay", async () => {
    const { h, admin, reader, post } = await keys();
    const first = await post(admin, "3f2c1d9e-0000-4000-8000-000000000001");
    expect(first.status).toBe(201);
    const secret = ((await first.json()) as { key: string }).key;

    const other = await post(reader, "3f2c1d9e-0000-4000-8000-000000000001");
    expect(other.status).toBe(403);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    const text = await other.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: "forbidden" } });
    expect(text).not.toContain(secret);

    // The admin's own retry is still a replay of its answer.
    const again = await post(admin, "3f2c1d9e-0000-4000-8000-000000000001");
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as { key: string }).key).toBe(secret);
    const me = await h.call("/v1/me", reader);
    expect(await me.json()).toMatchObject({ scopes: ["read"] });
  });

  it("does not keep one key's refusal for another key", async () => {
    const { admin, reader, post } = await keys();
    expect((await post(reader, "k-refused")).status).toBe(403);
    const created = await post(admin, "k-refused");
    expect(created.status).toBe(201);
    expect(created.headers.get("idempotent-replayed")).toBeNull();
    const retried = await post(reader, "k-refused");
    expect(retried.status).toBe(403);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
  });

  it("replays to another key of the tenant that holds the route's scope", async () => {
    const { h, admin, post } = await keys();
    const made = await h.call("/v1/api-keys", admin, {
      method: "POST",
      json: { name: "second admin", scopes: ["admin"] },
    });
    const second = ((await made.json()) as { key: string }).key;
    const first = await post(admin, "k-shared");
    expect(first.status).toBe(201);
    const replay = await post(second, "k-shared");
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.text()).toBe(await first.text());
  });
});

describe("Idempotency-Key of subscriber tokens", () => {
  it("keeps each token's keys apart: another subscriber never gets a token's answer", async () => {
    const h = await createHarness();
    const { key } = await h.tenant();
    const token = async () => {
      const res = await h.call("/v1/subscriber-tokens", key, {
        method: "POST",
        json: { name: "phone" },
      });
      return ((await res.json()) as { token: string }).token;
    };
    const [alice, bob] = [await token(), await token()];
    const body = {
      endpoint: "https://fcm.googleapis.com/fcm/send/alice-phone",
      keys: {
        p256dh:
          "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        auth: "BTBZMqHH6r4Tts7J_aSIgg",
      },
    };
    const subscribe = (token: string) =>
      h.call("/v1/subscriber/subscriptions", token, {
        method: "POST",
        json: body,
        headers: { [IDEMPOTENCY_HEADER]: "same-key" },
      });
    const first = await subscribe(alice);
    expect(first.status).toBe(201);
    const other = await subscribe(bob);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(other.status).toBe(409);
    const again = await subscribe(alice);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });
});
