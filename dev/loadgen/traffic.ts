/**
 * Synthetic request telemetry that looks like gridpulse's own fleet: several services and routes with
 * log-normal latencies, a Pareto tail on ~2% of requests, a small 4xx share, a configurable 5xx rate
 * (slow timeouts and fast failures), a few regions and occasional traceparents. Deterministic for a
 * given seed so tests can check its shape.
 */
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { createRng, type Rng } from "../../core/random/rng.ts";

interface RouteProfile {
  service: string;
  method: RequestEventInput["method"];
  route: string;
  weight: number;
  medianMs: number;
  sigma: number;
}

export const routeProfiles: readonly RouteProfile[] = [
  {
    service: "edge-api",
    method: "GET",
    route: "/v1/assessments/:id",
    weight: 18,
    medianMs: 7,
    sigma: 0.5,
  },
  {
    service: "edge-api",
    method: "POST",
    route: "/v1/assessments",
    weight: 10,
    medianMs: 24,
    sigma: 0.6,
  },
  {
    service: "edge-api",
    method: "GET",
    route: "/v1/assessments/:id/benchmark",
    weight: 12,
    medianMs: 5,
    sigma: 0.5,
  },
  {
    service: "edge-api",
    method: "GET",
    route: "/v1/benchmarks",
    weight: 14,
    medianMs: 4,
    sigma: 0.45,
  },
  {
    service: "edge-api",
    method: "GET",
    route: "/v1/market/prices",
    weight: 8,
    medianMs: 3,
    sigma: 0.4,
  },
  {
    service: "edge-api",
    method: "GET",
    route: "/health/ready",
    weight: 6,
    medianMs: 1.2,
    sigma: 0.3,
  },
  {
    service: "assessment-engine",
    method: "POST",
    route: "/internal/assessments/compute",
    weight: 10,
    medianMs: 38,
    sigma: 0.55,
  },
  {
    service: "benchmark-service",
    method: "GET",
    route: "/internal/cohorts/:cohort/stats",
    weight: 12,
    medianMs: 11,
    sigma: 0.5,
  },
  {
    service: "notification-dispatcher",
    method: "POST",
    route: "/internal/webhooks/:id/deliver",
    weight: 6,
    medianMs: 120,
    sigma: 0.7,
  },
  {
    service: "notification-dispatcher",
    method: "POST",
    route: "/internal/push/:id/send",
    weight: 4,
    medianMs: 90,
    sigma: 0.6,
  },
];

const regions = ["ATH", "SKG", "FRA", "AMS", "MIL"] as const;
const clientErrors = [400, 401, 404, 409, 422, 429] as const;

export interface TrafficOptions {
  seed: number;
  /** Share of requests answered 5xx (default 0.005). */
  errorRate?: number;
  /** Share of requests answered 4xx (default 0.02). */
  clientErrorRate?: number;
  /** Share of requests with a slow tail (default 0.02). */
  tailRate?: number;
}

function standardNormal(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function createTraffic(options: TrafficOptions) {
  const rng = createRng(options.seed);
  const errorRate = options.errorRate ?? 0.005;
  const clientErrorRate = options.clientErrorRate ?? 0.02;
  const tailRate = options.tailRate ?? 0.02;
  const totalWeight = routeProfiles.reduce((sum, r) => sum + r.weight, 0);
  let counter = 0;
  const runId = Math.floor(rng() * 2 ** 32).toString(36);

  const pickRoute = (): RouteProfile => {
    let x = rng() * totalWeight;
    for (const profile of routeProfiles) {
      x -= profile.weight;
      if (x < 0) return profile;
    }
    return routeProfiles[routeProfiles.length - 1] as RouteProfile;
  };

  const hex = (chars: number) => {
    let out = "";
    for (let i = 0; i < chars; i++) out += Math.floor(rng() * 16).toString(16);
    return out;
  };

  return function next(nowMs: number): RequestEventInput {
    const profile = pickRoute();
    let durationMs = profile.medianMs * Math.exp(profile.sigma * standardNormal(rng));
    if (rng() < tailRate) durationMs *= (1 - rng()) ** (-1 / 1.2); // Pareto, alpha 1.2
    let status = profile.method === "POST" ? 201 : 200;
    const roll = rng();
    if (roll < errorRate) {
      // Half are upstream timeouts (slow), half fast failures.
      status = rng() < 0.5 ? 504 : 500;
      durationMs = status === 504 ? 10_000 + rng() * 5000 : durationMs * 0.3;
    } else if (roll < errorRate + clientErrorRate) {
      status = clientErrors[Math.floor(rng() * clientErrors.length)] as number;
      durationMs *= 0.5;
    }
    counter += 1;
    const event: RequestEventInput = {
      id: `lg-${runId}-${counter}`,
      // Producers may send either form; mix them so both paths stay exercised.
      ts: rng() < 0.2 ? new Date(nowMs).toISOString() : nowMs,
      service: profile.service,
      route: profile.route,
      method: profile.method,
      status,
      durationMs: Math.round(Math.min(durationMs, 60_000) * 1000) / 1000,
      region: regions[Math.floor(rng() * regions.length)] as string,
    };
    if (rng() < 0.3) event.traceparent = `00-${hex(32)}-${hex(16)}-01`;
    return event;
  };
}
