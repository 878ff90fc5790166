/**
 * Stable, runtime-neutral identifiers for alerts: 64-bit FNV-1a over the UTF-8 bytes of a canonical
 * JSON encoding, written as 16 lowercase hex digits. The same input gives the same id on every runtime
 * and every run (no randomness, no clock, no Map/Set iteration order).
 *
 * FNV-1a 64: offset basis 0xcbf29ce484222325, prime 0x100000001b3; for each byte: h ^= byte, h *= prime
 * (mod 2^64). Not cryptographic: ids are identities and idempotency keys, never secrets.
 */
import type { Labels } from "./labels.ts";

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const encoder = new TextEncoder();

export function fnv1a64(text: string): string {
  let h = OFFSET;
  for (const byte of encoder.encode(text)) {
    h = ((h ^ BigInt(byte)) * PRIME) & MASK;
  }
  return h.toString(16).padStart(16, "0");
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
