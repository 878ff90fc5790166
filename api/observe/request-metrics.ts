/** Per-request measurements a host may export (prom-client on Node; nothing on Workers). */
export interface RequestMetrics {
  started(): void;
  /** `traceId`: the request's sampled trace, kept as an exemplar where the host supports them. */
  finished(
    labels: { route: string; method: string; status: number },
    durationS: number,
    traceId?: string,
  ): void;
  rateLimited(): void;
  /** A request failed authentication: answered 401, or 429 once its client address's budget is spent. */
  authFailed(outcome: "unauthorized" | "rate_limited"): void;
  /** An assessment was computed and stored. */
  assessed(labels: { energyClass: string; climateZone: string }): void;
}

export const noMetrics: RequestMetrics = {
  started: () => {},
  finished: () => {},
  rateLimited: () => {},
  authFailed: () => {},
  assessed: () => {},
};
