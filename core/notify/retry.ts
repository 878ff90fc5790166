/**
 * When to try a notification again: the retry schedule (Svix-like by default, configurable so tests
 * can compress it), jitter, `Retry-After`, and the TTL bound of Web Push. Pure: callers pass `nowMs`
 * and a random source.
 */
import type { AttemptOutcome } from "./outcome.ts";

/**
 * Delay before each attempt, counted from the previous one: attempt 1 at once, then 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts over about 27.6 h).
 */
export const defaultRetryScheduleMs: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

export interface RetryPolicy {
  /** Delay before attempt i+1 (index 0: the first attempt, normally 0). Its length is the attempt limit. */
  scheduleMs: readonly number[];
  /** Each delay is scaled by a random factor in [1 - jitterRatio, 1 + jitterRatio]. */
  jitterRatio: number;
  /** Whether an answer that is not transient (3xx, most 4xx) is tried again on the schedule. */
  retryFailed: boolean;
  /** A `Retry-After` longer than this is cut to it, so one answer cannot park a message for days. */
  maxRetryAfterMs: number;
}

/** Webhooks: every failure is retried on the schedule (receivers often answer 4xx while deploying). */
export const defaultWebhookRetryPolicy: RetryPolicy = {
  scheduleMs: defaultRetryScheduleMs,
  jitterRatio: 0.2,
  retryFailed: true,
  maxRetryAfterMs: 10 * 3_600_000,
};

/** Web Push: only 429/5xx/network errors are retried (400/403/413 do not change), and only within the TTL. */
export const defaultPushRetryPolicy: RetryPolicy = {
  scheduleMs: defaultRetryScheduleMs,
  jitterRatio: 0.2,
  retryFailed: false,
  maxRetryAfterMs: 10 * 3_600_000,
};

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `"0,5s,5m,30m,2h,5h,10h,10h"` (bare numbers are milliseconds). */
export function parseRetrySchedule(text: string): number[] {
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error("retry schedule is empty");
  if (parts.length > 50) throw new Error("retry schedule has more than 50 attempts");
  return parts.map((part) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(part);
    if (!m)
      throw new Error(`retry schedule entry "${part}" is not a duration like 500ms, 5s, 5m, 2h`);
    return Math.round(Number(m[1]) * (unitMs[m[2] ?? "ms"] as number));
  });
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unparsable; a date in the past gives 0.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text), 10 ** 9) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const dateMs = Date.parse(text);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}

/** The scheduled delay before attempt number `attemptsMade + 1` with jitter; undefined past the schedule. */
export function scheduledDelayMs(
  attemptsMade: number,
  policy: Pick<RetryPolicy, "scheduleMs" | "jitterRatio">,
  random: () => number = Math.random,
): number | undefined {
  const base = policy.scheduleMs[attemptsMade];
  if (base === undefined) return undefined;
  const factor = 1 + policy.jitterRatio * (2 * random() - 1);
  return Math.max(0, Math.round(base * factor));
}

export type NextStep =
  | { action: "done" }
  | { action: "retry"; delayMs: number }
  | {
      action: "give_up";
      reason: "exhausted" | "expired" | "permanent" | "endpoint_gone" | "blocked";
    };

export interface PlanInput {
  outcome: AttemptOutcome;
  /** Attempts made so far, including the one that produced `outcome` (>= 1). */
  attemptsMade: number;
  retryAfterMs?: number;
  nowMs: number;
  /** No attempt may start after this (Web Push: sent time + TTL). */
  expiresAtMs?: number;
  policy: RetryPolicy;
  random?: () => number;
}

/** What to do after an attempt: stop, retry after a delay, or give up with a reason. */
export function planNextAttempt(input: PlanInput): NextStep {
  const { outcome, policy } = input;
  switch (outcome) {
    case "delivered":
      return { action: "done" };
    case "disable_endpoint":
    case "delete_subscription":
      return { action: "give_up", reason: "endpoint_gone" };
    case "blocked":
      return { action: "give_up", reason: "blocked" };
    case "invalid":
      return { action: "give_up", reason: "permanent" };
    case "failed":
      if (!policy.retryFailed) return { action: "give_up", reason: "permanent" };
      break;
    case "retry":
      break;
  }
  const scheduled = scheduledDelayMs(input.attemptsMade, policy, input.random);
  if (scheduled === undefined) return { action: "give_up", reason: "exhausted" };
  // Retry-After is honoured for transient answers only; a 3xx or 4xx carrying one is not an invitation.
  const retryAfter =
    outcome === "retry" && input.retryAfterMs !== undefined
      ? Math.min(input.retryAfterMs, policy.maxRetryAfterMs)
      : 0;
  const delayMs = Math.max(scheduled, retryAfter);
  if (input.expiresAtMs !== undefined && input.nowMs + delayMs >= input.expiresAtMs)
    return { action: "give_up", reason: "expired" };
  return { action: "retry", delayMs };
}
