/**
 * Idempotency-Key answers belong to the credential that sent the request: through the real app, a
 * read-only key replaying an admin's key creation must not get the new admin key (or its 201), and an
 * answer refused to one key is not replayed to another.
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

describe("Idempotency-Key per credential", () => {
  it("runs another key's request with the same Idempotency-Key through its own scope check", async () => {
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

  it("does not replay one key's refusal to another key", async () => {
    const { admin, reader, post } = await keys();
    expect((await post(reader, "k-refused")).status).toBe(403);
    const created = await post(admin, "k-refused");
    expect(created.status).toBe(201);
    expect(created.headers.get("idempotent-replayed")).toBeNull();
    // And the reader's own retry replays its own 403.
    const retried = await post(reader, "k-refused");
    expect(retried.status).toBe(403);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
  });
});
