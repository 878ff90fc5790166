import { createECDH } from "node:crypto";
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
    expect(isUncompressedP256Point(`C${"A".repeat(86)}`)).toBe(false); // 0x08: not uncompressed
    expect(isUncompressedP256Point(`B${"A".repeat(84)}`)).toBe(false); // 64 bytes
    expect(isUncompressedP256Point("not base64url!")).toBe(false);
  });

  it("accepts only points on the curve (y² = x³ − 3x + b mod p, coordinates below p)", () => {
    const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
    const point = (fill: (bytes: Uint8Array) => void) => {
      const bytes = new Uint8Array(65);
      bytes[0] = 4;
      fill(bytes);
      return b64u(bytes);
    };
    // Browsers' p256dh keys: Node's ECDH and Web Crypto points are on the curve.
    for (let i = 0; i < 20; i++) {
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      expect(isUncompressedP256Point(b64u(ecdh.getPublicKey()))).toBe(true);
    }
    // The generator G.
    const g =
      "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
    expect(isUncompressedP256Point(b64u(Buffer.from(g, "hex")))).toBe(true);
    // 0x04 then 64 zero bytes; 0x04 then 64 bytes of 0x01: off the curve.
    expect(isUncompressedP256Point(`B${"A".repeat(86)}`)).toBe(false);
    expect(isUncompressedP256Point(point((b) => b.fill(1, 1)))).toBe(false);
    // G with y flipped by one: off the curve.
    const nearG = Buffer.from(g, "hex");
    nearG[64] = (nearG[64] as number) ^ 1;
    expect(isUncompressedP256Point(b64u(nearG))).toBe(false);
    // (0, √b) is on the curve; (p, √b) is the same point mod p, but a coordinate must be below p.
    const rootB = "66485c780e2f83d72433bd5d84a06bb6541c2af31dae871728bf856a174f93f4";
    const p = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
    const hexPoint = (x: string, y: string) => b64u(Buffer.from(`04${x}${y}`, "hex"));
    expect(isUncompressedP256Point(hexPoint("0".repeat(64), rootB))).toBe(true);
    expect(isUncompressedP256Point(hexPoint(p, rootB))).toBe(false);
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
