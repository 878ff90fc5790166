/**
 * Standard Webhooks signing: `webhook-signature` is a space-separated list of `v1,<base64>` where
 * each value is HMAC-SHA256 over `${id}.${timestamp}.${body}` keyed by the base64 part of a `whsec_`
 * secret. During a rotation every active secret signs, so receivers holding either secret verify.
 * Web Crypto only, so it runs in Workers (test-send) and Node (dispatcher) alike.
 */
import { base64ToBytes, bytesToBase64 } from "./base64.ts";

export const webhookSecretPrefix = "whsec_";
/** Receivers accept timestamps this far from their clock (the Standard Webhooks default). */
export const webhookToleranceS = 5 * 60;

export interface EndpointSecret {
  /** `whsec_` + base64 of 24 to 64 random bytes. */
  secret: string;
  /**
   * Epoch ms after which the secret no longer signs (the end of a rotation's grace period); absent or
   * null (as stored) while the secret is current.
   */
  expiresAtMs?: number | null;
}

export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

export class WebhookSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookSecretError";
  }
}

/** The HMAC key bytes of a `whsec_` secret; throws a WebhookSecretError naming the problem (never the secret). */
export function decodeWebhookSecret(secret: string): Uint8Array<ArrayBuffer> {
  if (!secret.startsWith(webhookSecretPrefix))
    throw new WebhookSecretError("webhook secret must start with whsec_");
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = base64ToBytes(secret.slice(webhookSecretPrefix.length));
  } catch {
    throw new WebhookSecretError("webhook secret must be whsec_ followed by base64");
  }
  if (bytes.length < 24 || bytes.length > 64)
    throw new WebhookSecretError("webhook secret must hold 24 to 64 bytes");
  return bytes;
}

/** A new random secret: `whsec_` + base64 of 32 bytes. */
export function generateWebhookSecret(): string {
  return webhookSecretPrefix + bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** The secrets that sign at `nowMs`: all not yet expired (old and new during a rotation). */
export function activeSecrets(secrets: readonly EndpointSecret[], nowMs: number): string[] {
  return secrets
    .filter((s) => s.expiresAtMs === undefined || s.expiresAtMs === null || s.expiresAtMs > nowMs)
    .map((s) => s.secret);
}

// Imported HMAC keys, by secret: importKey costs more than the HMAC of a small body. Bounded so a
// process that sees many endpoints over its life does not grow without limit.
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keyCache = new Map<string, Promise<HmacKey>>();
const keyCacheMax = 10_000;

function hmacKey(secret: string): Promise<HmacKey> {
  let key = keyCache.get(secret);
  if (!key) {
    if (keyCache.size >= keyCacheMax) keyCache.clear();
    const raw = decodeWebhookSecret(secret);
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keyCache.set(secret, key);
  }
  return key;
}

const encoder = new TextEncoder();

/** `v1,<base64>` for one secret. */
export async function signatureFor(
  secret: string,
  id: string,
  timestampS: number,
  body: string,
): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    encoder.encode(`${id}.${timestampS}.${body}`),
  );
  return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}

/** The three Standard Webhooks headers for a message, signed with every given secret. */
export async function signWebhook(
  message: { id: string; timestampS: number; body: string },
  secrets: readonly string[],
): Promise<WebhookHeaders> {
  if (secrets.length === 0) throw new WebhookSecretError("no active webhook secret to sign with");
  if (!/^[^\s.]{1,256}$/.test(message.id))
    throw new Error("webhook id must be 1-256 characters without spaces or dots");
  const signatures = await Promise.all(
    secrets.map((s) => signatureFor(s, message.id, message.timestampS, message.body)),
  );
  return {
    "webhook-id": message.id,
    "webhook-timestamp": String(message.timestampS),
    "webhook-signature": signatures.join(" "),
  };
}

export type VerifyResult =
  | { ok: true }
  | {
      ok: false;
      reason: "missing_headers" | "timestamp_out_of_tolerance" | "no_matching_signature";
    };

/**
 * Verifies a received webhook against any of `secrets` (gridpulse's own receivers and tools; tests
 * use the independent `standardwebhooks` package instead). Comparison is by `crypto.subtle.verify`,
 * which is constant-time.
 */
export async function verifyWebhook(
  headers: Partial<WebhookHeaders>,
  body: string,
  secrets: readonly string[],
  nowMs: number,
  toleranceS = webhookToleranceS,
): Promise<VerifyResult> {
  const id = headers["webhook-id"];
  const ts = headers["webhook-timestamp"];
  const sigs = headers["webhook-signature"];
  if (!id || !ts || !sigs) return { ok: false, reason: "missing_headers" };
  const timestampS = Number(ts);
  if (!Number.isInteger(timestampS) || Math.abs(nowMs / 1000 - timestampS) > toleranceS)
    return { ok: false, reason: "timestamp_out_of_tolerance" };
  const data = encoder.encode(`${id}.${ts}.${body}`);
  for (const entry of sigs.split(" ")) {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || !value) continue;
    let mac: Uint8Array<ArrayBuffer>;
    try {
      mac = base64ToBytes(value);
    } catch {
      continue;
    }
    for (const secret of secrets) {
      if (await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, data)) return { ok: true };
    }
  }
  return { ok: false, reason: "no_matching_signature" };
}
