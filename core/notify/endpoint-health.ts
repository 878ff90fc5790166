/**
 * When a webhook endpoint is disabled: at once on 410 Gone, or when it has only failed for a
 * configurable period (default 5 days, like Svix) — any success resets the clock. Pure: the
 * dispatcher stores `failingSinceMs` with the endpoint and notifies its owner on disablement.
 */
import type { AttemptOutcome } from "./outcome.ts";

export const defaultDisableAfterMs = 5 * 86_400_000;

export interface EndpointHealth {
  /** First failed attempt since the last success; absent while healthy. */
  failingSinceMs?: number;
}

export type EndpointVerdict = "healthy" | "failing" | "disable";

/** The endpoint's health after an attempt with `outcome` at `nowMs`, and what to do about it. */
export function endpointAfterAttempt(
  health: EndpointHealth,
  outcome: AttemptOutcome,
  nowMs: number,
  disableAfterMs = defaultDisableAfterMs,
): { health: EndpointHealth; verdict: EndpointVerdict } {
  if (outcome === "delivered") return { health: {}, verdict: "healthy" };
  if (outcome === "disable_endpoint") return { health, verdict: "disable" };
  // A message that could not be built says nothing about the endpoint.
  if (outcome === "invalid")
    return { health, verdict: health.failingSinceMs ? "failing" : "healthy" };
  const failingSinceMs = health.failingSinceMs ?? nowMs;
  return {
    health: { failingSinceMs },
    verdict: nowMs - failingSinceMs >= disableAfterMs ? "disable" : "failing",
  };
}
