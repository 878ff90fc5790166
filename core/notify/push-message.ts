/**
 * What a Web Push message carries and how it is sent: a small JSON payload checked against the
 * encryption record limit, the Urgency from the alert's severity, and a Topic per alert fingerprint
 * so a repeat replaces the undelivered previous message (RFC 8030 §5.3, §5.4).
 */
import { bytesToBase64Url } from "./base64.ts";
import type { AlertStatus, Severity } from "./payloads.ts";

/**
 * Largest plaintext that fits one aes128gcm record of 4096 bytes, the size every push service must
 * accept (RFC 8030 §7.2): 4096 - 86 (header: salt 16 + record size 4 + key id length 1 + key id 65,
 * RFC 8188 §2.1 with RFC 8291 §4) - 16 (AEAD tag) - 1 (padding delimiter) = 3993 bytes.
 */
export const maxPushPlaintextBytes = 3993;

export type PushUrgency = "very-low" | "low" | "normal" | "high";

const urgencyBySeverity: Record<Severity, PushUrgency> = {
  page: "high",
  ticket: "normal",
  info: "low",
};

/** page → high, ticket → normal, info (and anything unknown) → low. */
export const urgencyForSeverity = (severity: string | undefined): PushUrgency =>
  urgencyBySeverity[severity as Severity] ?? "low";

/** Topic header for an alert: 32 base64url characters of SHA-256(fingerprint) (RFC 8030 allows ≤ 32). */
export async function pushTopicFor(fingerprint: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(fingerprint));
  return bytesToBase64Url(new Uint8Array(digest)).slice(0, 32);
}

export interface PushAlertMessage {
  title: string;
  body: string;
  status: AlertStatus;
  severity: string;
  /** The notification group (the service worker's notification tag: repeats replace each other). */
  fingerprint: string;
  /** Fingerprints of the firing alerts it lists, for an Acknowledge action (at most 20). */
  alerts?: string[];
  /** Where a click leads (the alert in gridpulse). */
  url?: string;
  /** RFC 3339. */
  ts: string;
}

export class PushPayloadTooLargeError extends Error {
  readonly sizeBytes: number;
  constructor(sizeBytes: number) {
    super(`push payload is ${sizeBytes} bytes; at most ${maxPushPlaintextBytes} fit one record`);
    this.name = "PushPayloadTooLargeError";
    this.sizeBytes = sizeBytes;
  }
}

const encoder = new TextEncoder();
export const utf8Length = (text: string) => encoder.encode(text).length;

/**
 * The JSON payload for `message`. A body that would not fit is shortened (with "…") so the
 * notification still goes out; if even an empty body does not fit, PushPayloadTooLargeError.
 */
export function pushPayload(message: PushAlertMessage, maxBytes = maxPushPlaintextBytes): string {
  const { body, ...rest } = message;
  const render = (b: string) => JSON.stringify({ v: 1, ...rest, body: b });
  let text = render(body);
  let size = utf8Length(text);
  if (size <= maxBytes) return text;
  const overhead = utf8Length(render(""));
  if (overhead > maxBytes) throw new PushPayloadTooLargeError(overhead);
  // Shorten by code points until it fits (JSON escaping can make a character cost up to 6 bytes).
  const chars = [...body];
  let keep = Math.min(chars.length, maxBytes - overhead);
  while (keep >= 0) {
    text = render(`${chars.slice(0, keep).join("")}…`);
    size = utf8Length(text);
    if (size <= maxBytes) return text;
    keep -= Math.max(1, Math.ceil((size - maxBytes) / 6));
  }
  return render("");
}

/** Throws PushPayloadTooLargeError when `payload` exceeds the record limit. */
export function assertPushPayloadFits(payload: string | Uint8Array): void {
  const size = typeof payload === "string" ? utf8Length(payload) : payload.length;
  if (size > maxPushPlaintextBytes) throw new PushPayloadTooLargeError(size);
}
