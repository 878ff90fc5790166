/** Per-request measurements a host may export (prom-client on Node; nothing on Workers). */
export interface RequestMetrics {
  started(): void;
  finished(labels: { route: string; method: string; status: number }, durationS: number): void;
  rateLimited(): void;
}

export const noMetrics: RequestMetrics = {
  started: () => {},
  finished: () => {},
  rateLimited: () => {},
};
