/**
 * Stable, runtime-neutral identifiers for alerts: 64-bit FNV-1a over the UTF-8 bytes of a canonical
 * JSON encoding, written as 16 lowercase hex digits. The same input gives the same id on every runtime
 * and every run (no randomness, no clock, no Map/Set iteration order).
 *
 * FNV-1a 64: offset basis 0xcbf29ce484222325, prime 0x100000001b3; for each byte: h ^= byte, h *= prime
 * (mod 2^64). Not cryptographic: ids are identities and idempotency keys, never secrets.
 */
import type { Labels } from "./labels.ts";

/**
 * FNV-1a 64 in two 32-bit halves (exact integer arithmetic, no BigInt): the prime is 2^40 + 0x1b3,
 * so h × prime = h × 0x1b3 + (h << 40), mod 2^64. The UTF-8 bytes are produced while hashing (as
 * TextEncoder would encode the text: a lone surrogate as U+FFFD), without an intermediate buffer.
 */
export function fnv1a64(text: string): string {
  let lo = 0x84222325;
  let hi = 0xcbf29ce4;
  const n = text.length;
  const bytes = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    let count = 1;
    if (c < 0x80) {
      bytes[0] = c;
    } else if (c < 0x800) {
      bytes[0] = 0xc0 | (c >> 6);
      bytes[1] = 0x80 | (c & 0x3f);
      count = 2;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        bytes[0] = 0xf0 | (cp >> 18);
        bytes[1] = 0x80 | ((cp >> 12) & 0x3f);
        bytes[2] = 0x80 | ((cp >> 6) & 0x3f);
        bytes[3] = 0x80 | (cp & 0x3f);
        count = 4;
        i++;
      } else {
        // A lone surrogate: U+FFFD, as TextEncoder writes it.
        bytes[0] = 0xef;
        bytes[1] = 0xbf;
        bytes[2] = 0xbd;
        count = 3;
      }
    } else {
      bytes[0] = 0xe0 | (c >> 12);
      bytes[1] = 0x80 | ((c >> 6) & 0x3f);
      bytes[2] = 0x80 | (c & 0x3f);
      count = 3;
    }
    for (let k = 0; k < count; k++) {
      lo = (lo ^ (bytes[k] as number)) >>> 0;
      // lo × 0x1b3 < 2^41: exact; its high part carries into hi, and (lo << 40) adds lo << 8 to hi.
      const l16 = lo & 0xffff;
      const m = (lo >>> 16) * 0x1b3 + ((l16 * 0x1b3) >>> 16);
      hi = (Math.imul(hi, 0x1b3) + (m >>> 16) + (lo << 8)) >>> 0;
      lo = ((m << 16) | ((l16 * 0x1b3) & 0xffff)) >>> 0;
    }
  }
  return hex32(hi) + hex32(lo);
}

const hex32 = (word: number) => word.toString(16).padStart(8, "0");

/** Label pairs sorted by name (UTF-16 code units, locale-independent). */
export function sortedLabelPairs(labels: Labels): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Hash of a list of parts: JSON keeps strings unambiguous (no separator can be forged). */
export const stableId = (...parts: readonly unknown[]): string => fnv1a64(JSON.stringify(parts));

/** Alert identity: the rule id and the alert's labels, sorted by name. */
export const alertFingerprint = (ruleId: string, labels: Labels): string =>
  stableId("alert", ruleId, sortedLabelPairs(labels));

/** Orders by fingerprint (plain code-unit comparison, the same on every runtime). */
export const byFingerprint = (a: { fingerprint: string }, b: { fingerprint: string }) =>
  a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0;
