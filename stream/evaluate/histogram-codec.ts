/**
 * Stage 2's HDR histogram codec (Node only): the same V2 compressed base64 histograms as
 * core/latency/histogram.ts — byte for byte, and the same merged state as decoding a histogram and
 * adding it — for a fraction of the native memory per merge.
 *
 * Each merge of the window store used to decode every partial's histogram into a histogram of its own
 * (a counts array of tens of KB, e.g. 36 KB for durations up to 260 ms) and run each inflate and
 * deflate through a 16 KB output buffer: about 120 KB of ArrayBuffers per bucket merged, which live
 * until V8's next garbage collection (V8 collects by JS heap growth, not by native memory) and leave
 * the C heap fragmented once freed. Here:
 * - `addEncoded` adds an encoded histogram straight into the target, reading its counts from the
 *   inflated bytes, with exactly what `target.add(decoded)` does (resizing, fast or value-wise path);
 * - inflate and deflate use 2 KB output chunks, which Node takes from its shared Buffer pool;
 * - `encode` writes the uncompressed V2 form itself into one reused buffer.
 * Histograms the fast path does not cover exactly (other precision or unit, counts beyond 2^31 − 1)
 * take the library's own path.
 */
import { deflateSync, inflateSync } from "node:zlib";
import { Int32Histogram, JsHistogram } from "hdr-histogram-js";
import {
  decodeHistogram as decodeWithLibrary,
  encodeHistogram as encodeWithLibrary,
  type LatencyHistogram,
  mergeInto,
} from "../../core/latency/histogram.ts";

const v2Cookie = 0x1c849303 | 0x10;
const v2CompressedCookieBase = 0x1c849304;
const v2CompressedCookie = v2CompressedCookieBase | 0x10;
/** Output chunk of inflate / deflate: below half of Buffer.poolSize, so taken from the shared pool. */
const chunkSize = 2048;
const twoPow32 = 2 ** 32;
const maxInt32 = 2 ** 31 - 1;

/** The library's histogram internals this codec reads and updates (hdr-histogram-js JsHistogram). */
interface Internals {
  autoResize: boolean;
  _counts: Int32Array;
  _totalCount: number;
  startTimeStampMsec: number;
  endTimeStampMsec: number;
  tag: string;
  init(lowest: number, highestTrackable: number, digits: number): void;
  establishInternalTackingValues(filledLength: number): void;
  maxValue: number;
  minNonZeroValue: number;
  totalCount: number;
  lowestDiscernibleValue: number;
  highestTrackableValue: number;
  numberOfSignificantValueDigits: number;
  countsArrayLength: number;
  bucketCount: number;
  subBucketCount: number;
  unitMagnitude: number;
  unitMagnitudeMask: number;
  lowestDiscernibleValueRounded: number;
  getCountAtIndex(index: number): number;
  addToCountAtIndex(index: number, value: number): void;
  setTotalCount(total: number): void;
  updatedMaxValue(value: number): void;
  updateMinNonZeroValue(value: number): void;
  recordValueWithCount(value: number, count: number): void;
  countsArrayIndex(value: number): number;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
  getBucketsNeededToCoverValue(value: number): number;
  getLengthForNumberOfBuckets(buckets: number): number;
  resize(highestTrackableValue: number): void;
}

const decodeV2 = (JsHistogram as unknown as { decode(data: Uint8Array, bits: number): unknown })
  .decode;

/** The uncompressed V2 bytes of an encoded histogram. */
function inflateEncoded(encoded: string): Buffer {
  const bytes = Buffer.from(encoded.trim(), "base64");
  if (bytes.length < 8 || (bytes.readInt32BE(0) & ~0xf0) !== v2CompressedCookieBase)
    throw new Error("Encoding not supported, only V2 is supported");
  const length = bytes.readInt32BE(4);
  return inflateSync(bytes.subarray(8, 8 + length), { chunkSize });
}

/** Decodes a V2 compressed base64 histogram (as core/latency/histogram.ts `decodeHistogram`). */
export function decodeHistogram(encoded: string): LatencyHistogram {
  const decoded = decodeV2(inflateEncoded(encoded), 32) as LatencyHistogram;
  decoded.autoResize = true;
  return decoded;
}

interface Header {
  digits: number;
  lowest: number;
  highestTrackable: number;
  payloadStart: number;
  payloadEnd: number;
}

function readHeader(data: Buffer): Header | undefined {
  if (data.length < 40 || data.readInt32BE(0) !== v2Cookie) return undefined;
  const int64 = (at: number) => data.readInt32BE(at) * twoPow32 + data.readUInt32BE(at + 4);
  return {
    digits: data.readInt32BE(12),
    lowest: int64(16),
    highestTrackable: int64(24),
    payloadStart: 40,
    payloadEnd: 40 + data.readInt32BE(4),
  };
}

/** The non-zero counts of a payload below `limit`, by index, and the payload's length in counts. */
interface PayloadCounts {
  indexes: number[];
  counts: number[];
  length: number;
}

/**
 * Reads a V2 payload's counts (ZigZag LEB128, negative runs of zeros); undefined when a count exceeds
 * 2^31 − 1 (an Int32 counts array would wrap it: such histograms go to the library).
 */
function readCounts(data: Buffer, header: Header, limit: number): PayloadCounts | undefined {
  const indexes: number[] = [];
  const counts: number[] = [];
  let index = 0;
  let pos = header.payloadStart;
  while (pos < header.payloadEnd) {
    const [count, next] = readZigZag(data, pos);
    pos = next;
    if (count < 0) index += -count;
    else {
      if (count > maxInt32) return undefined;
      if (count > 0 && index < limit) {
        indexes.push(index);
        counts.push(count);
      }
      index++;
    }
  }
  return { indexes, counts, length: index };
}

let scratchHistogram: LatencyHistogram | undefined;
let scratchCounts = new Int32Array(0);

/**
 * Decodes into the codec's one scratch histogram, valid until the next call: the same state as
 * `decodeHistogram`, with no counts array allocated per call (merge, encode, then drop it).
 */
export function decodeScratch(encoded: string): LatencyHistogram {
  const data = inflateEncoded(encoded);
  const header = readHeader(data);
  if (
    !header ||
    header.lowest < 1 ||
    header.highestTrackable < 2 * header.lowest ||
    header.digits < 0 ||
    header.digits > 5
  )
    return decodeHistogram(encoded);
  scratchHistogram ??= new Int32Histogram(1, 2, 3);
  const h = scratchHistogram as unknown as Internals;
  // As the library's decode: a new Int32 histogram of the encoded precision and range.
  h.init(header.lowest, header.highestTrackable, header.digits);
  if (scratchCounts.length < h.countsArrayLength)
    scratchCounts = new Int32Array(Math.max(h.countsArrayLength, scratchCounts.length * 2));
  h._counts = scratchCounts.subarray(0, h.countsArrayLength);
  h._counts.fill(0);
  h._totalCount = 0;
  h.maxValue = 0;
  h.minNonZeroValue = Number.MAX_SAFE_INTEGER;
  h.startTimeStampMsec = Number.MAX_SAFE_INTEGER;
  h.endTimeStampMsec = 0;
  h.tag = "NO TAG";
  const payload = readCounts(data, header, h.countsArrayLength);
  if (payload === undefined) return decodeHistogram(encoded);
  const { indexes, counts } = payload;
  for (let i = 0; i < indexes.length; i++) h._counts[indexes[i] as number] = counts[i] as number;
  h.establishInternalTackingValues(payload.length);
  h.autoResize = true;
  return scratchHistogram;
}

/** Reads one LEB128-64b9B ZigZag number at `at`; returns [value, next position]. */
function readZigZag(data: Buffer, at: number): [number, number] {
  let value = 0;
  let factor = 1;
  let pos = at;
  for (let i = 0; i < 9; i++) {
    const byte = data[pos++] as number;
    value += (i < 8 ? byte & 0x7f : byte) * factor;
    if (i === 8 || (byte & 0x80) === 0) break;
    factor *= 128;
  }
  return [value % 2 === 0 ? value / 2 : -(value + 1) / 2, pos];
}

/**
 * Adds the encoded histogram `encoded` into `target`: the same state as
 * `mergeInto(target, decodeHistogram(encoded))`, without building the decoded histogram.
 */
export function addEncoded(target: LatencyHistogram, encoded: string): void {
  const t = target as unknown as Internals;
  const data = inflateEncoded(encoded);
  const header = readHeader(data);
  if (
    !header ||
    header.digits !== t.numberOfSignificantValueDigits ||
    header.lowest !== t.lowestDiscernibleValue ||
    header.highestTrackable < 2 * header.lowest
  ) {
    mergeInto(target, decodeWithLibrary(encoded));
    return;
  }
  // The decoded histogram's counts array, as the library sizes it: counts beyond it are dropped.
  const sourceBuckets = t.getBucketsNeededToCoverValue(header.highestTrackable);
  const payload = readCounts(data, header, t.getLengthForNumberOfBuckets(sourceBuckets));
  if (payload === undefined) {
    mergeInto(target, decodeWithLibrary(encoded));
    return;
  }
  const { indexes, counts } = payload;
  // The decoded histogram's tracking values (establishInternalTackingValues).
  let sourceMax = 0;
  let sourceMinNonZero = Number.MAX_VALUE;
  const last = indexes.length - 1;
  if (last >= 0) sourceMax = t.highestEquivalentValue(t.valueFromIndex(indexes[last] as number));
  const firstAboveZero = indexes[0] === 0 ? indexes[1] : indexes[0];
  if (firstAboveZero !== undefined) {
    const value = t.valueFromIndex(firstAboveZero);
    if (value > t.unitMagnitudeMask)
      sourceMinNonZero =
        Math.floor(value / t.lowestDiscernibleValueRounded) * t.lowestDiscernibleValueRounded;
  }
  // JsHistogram.add(source):
  if (t.highestEquivalentValue(t.valueFromIndex(t.countsArrayLength - 1)) < sourceMax) {
    if (!t.autoResize)
      throw new Error(
        "The other histogram includes values that do not fit in this histogram's range.",
      );
    t.resize(sourceMax);
  }
  if (t.bucketCount === sourceBuckets) {
    let added = 0;
    for (let i = 0; i < indexes.length; i++) {
      t.addToCountAtIndex(indexes[i] as number, counts[i] as number);
      added += counts[i] as number;
    }
    t.setTotalCount(t.totalCount + added);
    t.updatedMaxValue(Math.max(t.maxValue, sourceMax));
    t.updateMinNonZeroValue(Math.min(t.minNonZeroValue, sourceMinNonZero));
  } else {
    // Value by value: the count at the source's largest value first, then those below it.
    const top = last >= 0 ? t.countsArrayIndex(sourceMax) : 0;
    const topAt = indexes.lastIndexOf(top);
    t.recordValueWithCount(t.valueFromIndex(top), topAt >= 0 ? (counts[topAt] as number) : 0);
    for (let i = 0; i < indexes.length; i++)
      if ((indexes[i] as number) < top)
        t.recordValueWithCount(t.valueFromIndex(indexes[i] as number), counts[i] as number);
  }
}

let scratch = new Uint8Array(4096);
let view = new DataView(scratch.buffer);

function ensure(capacity: number) {
  if (capacity <= scratch.length) return;
  scratch = new Uint8Array(Math.max(capacity, scratch.length * 2));
  view = new DataView(scratch.buffer);
}

/** Writes `value` as LEB128 ZigZag at `at` (|value| < 2^47); returns the next position. */
function writeZigZag(value: number, at: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let pos = at;
  while (v >= 128) {
    scratch[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  scratch[pos++] = v;
  return pos;
}

/** Encodes as V2 compressed base64 (the bytes of core/latency/histogram.ts `encodeHistogram`). */
export function encodeHistogram(histogram: LatencyHistogram): string {
  const h = histogram as unknown as Internals;
  const limit = h.countsArrayIndex(h.maxValue) + 1;
  // Header plus at most 9 bytes per count; counts of 2^46 or more are left to the library.
  ensure(40 + limit * 9);
  view.setInt32(0, v2Cookie);
  view.setInt32(8, 1);
  view.setInt32(12, h.numberOfSignificantValueDigits);
  const int64 = (at: number, value: number) => {
    view.setInt32(at, Math.floor(value / twoPow32));
    view.setUint32(at + 4, value >>> 0);
  };
  int64(16, h.lowestDiscernibleValue);
  int64(24, h.highestTrackableValue);
  int64(32, 1);
  let pos = 40;
  let i = 0;
  while (i < limit) {
    const count = h.getCountAtIndex(i++);
    if (count < 0 || count >= 2 ** 46) return encodeWithLibrary(histogram);
    if (count === 0) {
      let zeros = 1;
      while (i < limit && h.getCountAtIndex(i) === 0) {
        zeros++;
        i++;
      }
      pos = writeZigZag(zeros > 1 ? -zeros : 0, pos);
    } else pos = writeZigZag(count, pos);
  }
  view.setInt32(4, pos - 40);
  const compressed = deflateSync(scratch.subarray(0, pos), { chunkSize });
  const out = Buffer.allocUnsafe(8 + compressed.length);
  out.writeInt32BE(v2CompressedCookie, 0);
  out.writeInt32BE(compressed.length, 4);
  compressed.copy(out, 8);
  return out.toString("base64");
}
