/**
 * The installation's VAPID key pair (RFC 8292) as kept in `vapid_keys`: one row, id `vapidKeyRowId`,
 * public key = base64url of the uncompressed P-256 point (65 bytes), private key = base64url of the
 * 32-byte scalar `d` (the encoding `web-push` uses). Generated with Web Crypto, so the API can create
 * the row on Workers as well as Node; whoever inserts first wins (INSERT ... ON CONFLICT DO NOTHING)
 * and everyone reads the row back, so the API and the stream worker serve and sign with one key.
 */
import { eq } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { vapidKeys } from "../db/schema/index.ts";
import { base64ToBytes, bytesToBase64Url } from "./base64.ts";

/** The id of the one `vapid_keys` row; the stream worker's key store (stream/notify/channels/push/vapid-key-store.ts) uses the same. */
export const vapidKeyRowId = "current";

export interface VapidKeyPair {
  publicKey: string;
  privateKey: string;
}

const base64UrlPattern = /^[A-Za-z0-9_-]+$/;

export const base64UrlToBytes = (text: string): Uint8Array<ArrayBuffer> => {
  if (!base64UrlPattern.test(text)) throw new Error("not base64url");
  const padded = text.replace(/-/g, "+").replace(/_/g, "/");
  return base64ToBytes(padded + "=".repeat((4 - (padded.length % 4)) % 4));
};

/** A new P-256 key pair, runtime-neutral (Web Crypto). */
export async function generateVapidKeys(): Promise<VapidKeyPair> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as {
    publicKey: Parameters<typeof crypto.subtle.exportKey>[1];
    privateKey: Parameters<typeof crypto.subtle.exportKey>[1];
  };
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as { d?: string };
  if (raw.length !== 65 || raw[0] !== 4 || !jwk.d) throw new Error("unexpected P-256 key export");
  return { publicKey: bytesToBase64Url(raw), privateKey: jwk.d };
}

/** P-256 (SEC 2 secp256r1): y² = x³ − 3x + b over the prime field of order p. */
const p256 = {
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
};

const bigIntOf = (bytes: Uint8Array) =>
  BigInt(`0x${Array.from(bytes, (v) => v.toString(16).padStart(2, "0")).join("")}`);

/**
 * Whether `text` is a base64url uncompressed P-256 point: 65 bytes, 0x04, then x and y below p with
 * y² = x³ − 3x + b (mod p). A point off the curve (say 0x04 and 64 zero bytes) cannot be encrypted to
 * (RFC 8291 ECDH fails), so a subscription with one could never be delivered. Plain arithmetic, the
 * same on every runtime; P-256's cofactor is 1, so every point on the curve is a valid public key.
 */
export function isUncompressedP256Point(text: string): boolean {
  let bytes: Uint8Array;
  try {
    bytes = base64UrlToBytes(text);
  } catch {
    return false;
  }
  if (bytes.length !== 65 || bytes[0] !== 4) return false;
  const { p, b } = p256;
  const x = bigIntOf(bytes.subarray(1, 33));
  const y = bigIntOf(bytes.subarray(33));
  if (x >= p || y >= p) return false;
  const right = (((x * x * x - 3n * x + b) % p) + p) % p;
  return (y * y) % p === right;
}

/** The stored public key; when there is none yet, a new pair is stored first (first writer wins). */
export async function ensureVapidPublicKey(db: Database, nowMs: number): Promise<string> {
  const stored = await db
    .select({ publicKey: vapidKeys.publicKey })
    .from(vapidKeys)
    .where(eq(vapidKeys.id, vapidKeyRowId))
    .get();
  if (stored) return stored.publicKey;
  const generated = await generateVapidKeys();
  await db
    .insert(vapidKeys)
    .values({ id: vapidKeyRowId, ...generated, createdAtMs: nowMs })
    .onConflictDoNothing();
  const row = await db
    .select({ publicKey: vapidKeys.publicKey })
    .from(vapidKeys)
    .where(eq(vapidKeys.id, vapidKeyRowId))
    .get();
  if (!row) throw new Error("vapid_keys row missing after insert");
  return row.publicKey;
}
