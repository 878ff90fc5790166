import { describe, expect, it } from "vitest";
import { hashApiKey } from "../../../core/auth/api-keys.ts";
import { apiKeys } from "../../../core/db/schema/index.ts";
import { createHarness } from "../../testing/harness.ts";

type Key = {
  id: string;
  name: string;
  scopes: string[];
  start: string;
  key?: string;
  revokedAt: string | null;
};

describe("API keys: happy path", () => {
  it("creates a key shown once, lists it masked, gets it and revokes it", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const created = await h.call("/v1/api-keys", admin.key, {
      method: "POST",
      json: { name: "dashboard", scopes: ["read"] },
    });
    expect(created.status).toBe(201);
    const key = (await created.json()) as Key;
    expect(key.key).toMatch(/^gp_[0-9A-Za-z]{43}$/);
    expect(key.start).toBe(`${key.key?.slice(0, 9)}…`);
    expect(key.scopes).toEqual(["read"]);

    // Only the hash is stored.
    const stored = await h.db.select().from(apiKeys).all();
    expect(JSON.stringify(stored)).not.toContain(key.key as string);
    expect(stored.some((r) => r.keyHash === "")).toBe(false);
    expect(stored.find((r) => r.id === key.id)?.keyHash).toBe(await hashApiKey(key.key as string));

    const list = (await (await h.call("/v1/api-keys", admin.key)).json()) as { data: Key[] };
    expect(list.data.map((k) => k.name).sort()).toEqual(["dashboard", "initial admin key"]);
    expect(JSON.stringify(list)).not.toContain(key.key as string);

    const one = (await (await h.call(`/v1/api-keys/${key.id}`, admin.key)).json()) as Key;
    expect(one).toMatchObject({ id: key.id, name: "dashboard", revokedAt: null });

    // The new key works for reads …
    const me = await h.call("/v1/me", key.key);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ tenantId: admin.tenantId, keyId: key.id, scopes: ["read"] });

    // … until revoked (revocation through this process evicts the auth cache at once).
    expect((await h.call(`/v1/api-keys/${key.id}`, admin.key, { method: "DELETE" })).status).toBe(
      204,
    );
    expect((await h.call(`/v1/api-keys/${key.id}`, admin.key, { method: "DELETE" })).status).toBe(
      204,
    );
    const after = await h.call("/v1/me", key.key);
    expect(after.status).toBe(401);
    const listed = (await (await h.call("/v1/api-keys", admin.key)).json()) as { data: Key[] };
    expect(listed.data.map((k) => k.id)).not.toContain(key.id);
    const all = (await (await h.call("/v1/api-keys?includeRevoked=true", admin.key)).json()) as {
      data: Key[];
    };
    expect(all.data.find((k) => k.id === key.id)?.revokedAt).toBe(
      new Date(h.clock.nowMs).toISOString(),
    );
  });

  it("expires keys at their expiry time", async () => {
    const h = await createHarness({ settings: { AUTH_CACHE_TTL_MS: "0" } });
    const admin = await h.tenant();
    const expiresAt = new Date(h.clock.nowMs + 60_000).toISOString();
    const created = (await (
      await h.call("/v1/api-keys", admin.key, {
        method: "POST",
        json: { name: "temp", scopes: ["read"], expiresAt },
      })
    ).json()) as Key;
    expect((await h.call("/v1/me", created.key)).status).toBe(200);
    h.clock.nowMs += 60_001;
    expect((await h.call("/v1/me", created.key)).status).toBe(401);
  });
});

describe("API keys: errors", () => {
  it("validates bodies with field paths", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const res = await h.call("/v1/api-keys", admin.key, {
      method: "POST",
      json: { name: "", scopes: ["root"], extra: true },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    const paths = body.error.details.map((d) => d.path);
    expect(paths).toContain("body.name");
    expect(paths).toContain("body.scopes.0");
    expect(paths.some((p) => p.startsWith("body"))).toBe(true);
  });

  it("refuses an expiry in the past and a malformed id", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const past = await h.call("/v1/api-keys", admin.key, {
      method: "POST",
      json: { name: "x", scopes: ["read"], expiresAt: "2020-01-01T00:00:00Z" },
    });
    expect(past.status).toBe(400);
    const bad = await h.call("/v1/api-keys/not-an-id", admin.key);
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path,
    ).toBe("params.id");
  });

  it("answers 404 for an unknown key", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const res = await h.call("/v1/api-keys/key_0000000000000000", admin.key);
    expect(res.status).toBe(404);
  });
});

describe("API keys: security", () => {
  it("401 with a WWW-Authenticate challenge for missing, other-scheme and unknown keys; 400 for a malformed one", async () => {
    const h = await createHarness();
    const missing = await h.call("/v1/me", undefined);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="gridpulse"');
    const basic = await h.call("/v1/me", undefined, {
      headers: { Authorization: "Basic abc" },
    });
    expect(basic.status).toBe(401);
    expect(basic.headers.get("www-authenticate")).toBe('Bearer realm="gridpulse"');
    const malformed = await h.call("/v1/me", undefined, {
      headers: { Authorization: "Bearer" },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("www-authenticate")).toContain('error="invalid_request"');
    const unknown = await h.call("/v1/me", `gp_${"A".repeat(43)}`);
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  });

  it("403 with insufficient_scope when a read or write key manages keys", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    for (const scope of ["read", "write"]) {
      const created = (await (
        await h.call("/v1/api-keys", admin.key, {
          method: "POST",
          json: { name: scope, scopes: [scope] },
        })
      ).json()) as Key;
      const res = await h.call("/v1/api-keys", created.key);
      expect(res.status).toBe(403);
      expect(res.headers.get("www-authenticate")).toContain(
        'error="insufficient_scope", scope="admin"',
      );
    }
  });

  it("never logs a key", async () => {
    const h = await createHarness();
    const admin = await h.tenant();
    const created = (await (
      await h.call("/v1/api-keys", admin.key, {
        method: "POST",
        json: { name: "x", scopes: ["read"] },
      })
    ).json()) as Key;
    await h.call("/v1/me", created.key);
    const logged = JSON.stringify(h.logs);
    expect(logged).not.toContain(admin.key);
    expect(logged).not.toContain(created.key as string);
  });
});
