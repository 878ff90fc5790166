/**
 * Latency histograms of gridpulse: HDR histograms (hdr-histogram-js, the pure-JS build) of integer
 * microseconds with 3 significant digits (relative error ≤ 0.1%). They start tiny and auto-resize to
 * the largest value recorded, so memory follows the data (about 30 KB for values up to 60 ms, 4 KB more
 * per doubling) instead of the 94 KB a fixed one-hour range would take.
 * The JS build is used everywhere: it is garbage-collected (WebAssembly histograms must be destroyed by
 * hand) and it runs in Workers, which refuse to compile WebAssembly from bytes at run time; the
 * benchmark `npm run bench:hdr` compares the two builds. Interchange and storage use the standard V2
 * compressed base64 encoding ("HISTF…"), readable by every HDR implementation.
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from "hdr-histogram-js";

export type LatencyHistogram = Histogram;

export const significantDigits = 3;

export function newLatencyHistogram(): LatencyHistogram {
  return build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: significantDigits,
    useWebAssembly: false,
  });
}

/** Microseconds recorded for a duration in milliseconds (integers only: HDR drops fractions). */
export const toMicros = (durationMs: number) => Math.round(durationMs * 1000);

export function recordDurationMs(histogram: LatencyHistogram, durationMs: number): void {
  histogram.recordValue(toMicros(durationMs));
}

export function encodeHistogram(histogram: LatencyHistogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): LatencyHistogram {
  const decoded = decodeFromCompressedBase64(encoded, 32, false);
  // Decoded histograms keep the encoder's range; make them grow like ours when merged into.
  decoded.autoResize = true;
  return decoded;
}

/** Adds `source` into `target` (lossless: HDR histograms of the same precision add bucket by bucket). */
export function mergeInto(target: LatencyHistogram, source: LatencyHistogram): void {
  target.add(source);
}

export const quantileLevels = [
  ["p50", 50],
  ["p90", 90],
  ["p95", 95],
  ["p99", 99],
  ["p999", 99.9],
] as const;

export interface LatencyQuantiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}

/** Quantiles in milliseconds (null without data). */
export function latencyQuantiles(histogram: LatencyHistogram): LatencyQuantiles {
  const count = histogram.totalCount;
  const ms = (us: number) => (count === 0 ? null : us / 1000);
  const out = {
    count,
    max: ms(histogram.maxValue),
    mean: ms(histogramMean(histogram)),
  } as LatencyQuantiles;
  for (const [name, level] of quantileLevels) out[name] = ms(histogram.getValueAtPercentile(level));
  return out;
}

interface CountsAccess {
  countsArrayIndex(value: number): number;
  getCountAtIndex(index: number): number;
}

interface BucketAccess {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
  medianEquivalentValue(value: number): number;
}

/**
 * The histogram's mean exactly as its `mean` getter computes it (the same terms added in the same
 * order: each recorded bucket's median equivalent value times its count), in one pass over the counts
 * without the recorded-values iterator, which recomputes two bucket values at every index and
 * dominated the alert evaluator's latency reads.
 */
export function histogramMean(histogram: LatencyHistogram): number {
  const total = histogram.totalCount;
  if (total === 0) return 0;
  const access = histogram as unknown as BucketAccess;
  if (typeof access.valueFromIndex !== "function") return histogram.mean;
  let sum = 0;
  let seen = 0;
  const length = access.countsArrayLength;
  for (let i = 0; i < length && seen < total; i++) {
    const count = access.getCountAtIndex(i);
    if (count === 0) continue;
    seen += count;
    sum +=
      access.medianEquivalentValue(access.highestEquivalentValue(access.valueFromIndex(i))) * count;
  }
  return sum / total;
}

/**
 * Recorded values at or below `thresholdMs`, read from the histogram: exact except for values in the
 * threshold's own HDR bucket (±0.1%). Used only where an exact count was not kept.
 */
export function countAtOrBelow(histogram: LatencyHistogram, thresholdMs: number): number {
  const access = histogram as unknown as CountsAccess;
  const last = access.countsArrayIndex(toMicros(thresholdMs));
  let total = 0;
  for (let i = 0; i <= last; i++) total += access.getCountAtIndex(i) ?? 0;
  return Math.min(total, histogram.totalCount);
}
