/**
 * Turns the bytes of a Kafka message into a validated event, or into a precise reason why not.
 * Pure and runtime-neutral: the stream worker dead-letters failures with `reason` and `message`.
 */
import type { z } from "zod";

export const decodeFailureReasons = [
  "empty_value",
  "too_large",
  "invalid_utf8",
  "invalid_json",
  "schema_violation",
] as const;
export type DecodeFailureReason = (typeof decodeFailureReasons)[number];

export type Decoded<T> =
  | { ok: true; value: T }
  | { ok: false; reason: DecodeFailureReason; message: string };

export const maxEventBytes = 64 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * `maxBytes` (default `maxEventBytes`) bounds what producers outside gridpulse may send; stage 2 reads
 * stage 1's own partials, whose histograms may be larger, with no bound but the broker's.
 */
export function decodeEvent<S extends z.ZodType>(
  schema: S,
  bytes: Uint8Array | null | undefined,
  { maxBytes = maxEventBytes }: { maxBytes?: number } = {},
): Decoded<z.output<S>> {
  if (!bytes || bytes.byteLength === 0) {
    return { ok: false, reason: "empty_value", message: "message has no value" };
  }
  if (bytes.byteLength > maxBytes) {
    return {
      ok: false,
      reason: "too_large",
      message: `message value is ${bytes.byteLength} bytes; the limit is ${maxBytes}`,
    };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: "invalid_utf8", message: "message value is not valid UTF-8" };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      reason: "invalid_json",
      message: `message value is not JSON: ${(error as Error).message}`,
    };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, reason: "schema_violation", message: formatIssues(result.error.issues) };
}

/** `path: message; path: message` with at most five issues, so DLQ headers stay small. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 5).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `${path}: ${issue.message}`;
  });
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : "";
  return shown.join("; ") + more;
}
