import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { createDatabase } from "../db/database.ts";
import { vapidKeys } from "../db/schema/index.ts";
import {
  base64UrlToBytes,
  ensureVapidPublicKey,
  generateVapidKeys,
  isUncompressedP256Point,
  vapidKeyRowId,
} from "./vapid.ts";

describe("VAPID keys", () => {
  it("generates the encoding web-push uses: 65-byte point, 32-byte d, a working pair", async () => {
    const keys = await generateVapidKeys();
    expect(keys.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(keys.privateKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isUncompressedP256Point(keys.publicKey)).toBe(true);
    const point = base64UrlToBytes(keys.publicKey);
    // The pair signs and verifies: import d with the point's coordinates as a JWK.
    const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
    const jwk = { kty: "EC", crv: "P-256", x: b64u(point.slice(1, 33)), y: b64u(point.slice(33)) };
    const alg = { name: "ECDSA", namedCurve: "P-256" } as const;
    const priv = await crypto.subtle.importKey("jwk", { ...jwk, d: keys.privateKey }, alg, false, [
      "sign",
    ]);
    const pub = await crypto.subtle.importKey("raw", point, alg, false, ["verify"]);
    const data = new TextEncoder().encode("gridpulse");
    const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, priv, data);
    expect(await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pub, sig, data)).toBe(
      true,
    );
  });

  it("rejects points that are not uncompressed P-256", () => {
    expect(isUncompressedP256Point("AAAA")).toBe(false);
    expect(isUncompressedP256Point(`B${"A".repeat(86)}`)).toBe(true); // 0x04 then 64 zero bytes
    expect(isUncompressedP256Point(`C${"A".repeat(86)}`)).toBe(false); // 0x08: not uncompressed
    expect(isUncompressedP256Point(`B${"A".repeat(84)}`)).toBe(false); // 64 bytes
    expect(isUncompressedP256Point("not base64url!")).toBe(false);
  });

  it("stores one pair, first writer wins, and every caller reads the stored one", async () => {
    const db = createDatabase(createClient({ url: ":memory:" }));
    await applyMigrations(db);
    const keys = await Promise.all([1, 2, 3].map(() => ensureVapidPublicKey(db, 1)));
    expect(new Set(keys).size).toBe(1);
    const rows = await db.select().from(vapidKeys).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(vapidKeyRowId);
    expect(rows[0]?.publicKey).toBe(keys[0]);
    expect(await ensureVapidPublicKey(db, 2)).toBe(keys[0]);
  });
});
