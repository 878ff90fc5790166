/**
 * Stable, runtime-neutral identifiers for alerts: 64-bit FNV-1a over the UTF-8 bytes of a canonical
 * JSON encoding, written as 16 lowercase hex digits. The same input gives the same id on every runtime
 * and every run (no randomness, no clock, no Map/Set iteration order).
 *
 * FNV-1a 64: offset basis 0xcbf29ce484222325, prime 0x100000001b3; for each byte: h ^= byte, h *= prime
 * (mod 2^64). Not cryptographic: ids are identities and idempotency keys, never secrets.
 */
import type { Labels } from "./labels.ts";

const encoder = new TextEncoder();

/**
 * FNV-1a 64 in four 16-bit limbs (exact integer arithmetic, no BigInt): the prime is 2^40 + 0x1b3, so
 * h × prime = h × 0x1b3 + (h << 40), mod 2^64.
 */
export function fnv1a64(text: string): string {
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (const byte of encoder.encode(text)) {
    h0 ^= byte;
    const t0 = h0 * 0x1b3;
    let t1 = h1 * 0x1b3;
    let t2 = h2 * 0x1b3 + (h0 << 8);
    const t3 = h3 * 0x1b3 + (h1 << 8);
    t1 += t0 >>> 16;
    h0 = t0 & 0xffff;
    t2 += t1 >>> 16;
    h1 = t1 & 0xffff;
    h3 = (t3 + (t2 >>> 16)) & 0xffff;
    h2 = t2 & 0xffff;
  }
  return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, "0")).join("");
}

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
