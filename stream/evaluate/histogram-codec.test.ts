import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type LatencyHistogram,
  decodeHistogram as libraryDecode,
  encodeHistogram as libraryEncode,
  mergeInto,
  newLatencyHistogram,
} from "../../core/latency/histogram.ts";
import { addEncoded, decodeHistogram, decodeScratch, encodeHistogram } from "./histogram-codec.ts";

/** A histogram of integer microseconds: values up to `maxUs`, each recorded `count` times. */
const histogramArb = fc
  .record({
    maxUs: fc.constantFrom(10, 1_000, 60_000, 400_000, 30_000_000, 3_600_000_000),
    values: fc.array(
      fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 5000 })),
      {
        maxLength: 300,
      },
    ),
  })
  .map(({ maxUs, values }) => {
    const h = newLatencyHistogram();
    for (const [at, count] of values) h.recordValueWithCount(Math.round(at * maxUs), count);
    return h;
  });

/** What the window store relies on: everything the encoded form and later merges depend on. */
function state(h: LatencyHistogram) {
  const x = h as unknown as Record<string, number>;
  return {
    encoded: libraryEncode(h),
    totalCount: h.totalCount,
    maxValue: x.maxValue,
    minNonZeroValue: x.minNonZeroValue,
    highestTrackableValue: x.highestTrackableValue,
    countsArrayLength: x.countsArrayLength,
    bucketCount: x.bucketCount,
    autoResize: h.autoResize,
  };
}

describe("stage 2's histogram codec", () => {
  it("encodes byte for byte as the library", () => {
    fc.assert(
      fc.property(histogramArb, (h) => {
        expect(encodeHistogram(h)).toBe(libraryEncode(h));
      }),
      { numRuns: 300 },
    );
  });

  it("decodes to the library's histogram, also after a resize", () => {
    fc.assert(
      fc.property(histogramArb, histogramArb, (a, b) => {
        const encoded = libraryEncode(a);
        expect(state(decodeHistogram(encoded))).toEqual(state(libraryDecode(encoded)));
        const merged = libraryDecode(encoded);
        mergeInto(merged, b);
        const again = libraryEncode(merged);
        expect(state(decodeHistogram(again))).toEqual(state(libraryDecode(again)));
      }),
      { numRuns: 200 },
    );
  });

  it("adds an encoded histogram exactly as decoding and merging it (every range, both add paths)", () => {
    fc.assert(
      fc.property(
        histogramArb,
        fc.array(histogramArb, { minLength: 1, maxLength: 4 }),
        (base, parts) => {
          const baseEncoded = libraryEncode(base);
          const expected = libraryDecode(baseEncoded);
          const actual = decodeHistogram(baseEncoded);
          for (const part of parts) {
            const encoded = libraryEncode(part);
            mergeInto(expected, libraryDecode(encoded));
            addEncoded(actual, encoded);
            expect(state(actual)).toEqual(state(expected));
          }
          expect(encodeHistogram(actual)).toBe(libraryEncode(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("decodes into its scratch histogram as a fresh decode, whatever was decoded into it before", () => {
    fc.assert(
      fc.property(
        fc.array(histogramArb, { minLength: 1, maxLength: 5 }),
        histogramArb,
        (seq, part) => {
          for (const h of seq) {
            const encoded = libraryEncode(h);
            const expected = libraryDecode(encoded);
            const actual = decodeScratch(encoded);
            expect(state(actual)).toEqual(state(expected));
            // The window store's merge: scratch, add, encode.
            mergeInto(expected, libraryDecode(libraryEncode(part)));
            addEncoded(actual, libraryEncode(part));
            expect(encodeHistogram(actual)).toBe(libraryEncode(expected));
            expect(state(actual)).toEqual(state(expected));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("adds empty histograms and histograms of zero-valued durations as the library does", () => {
    const empty = newLatencyHistogram();
    const zeros = newLatencyHistogram();
    zeros.recordValueWithCount(0, 7);
    const wide = newLatencyHistogram();
    wide.recordValue(3_000_000_000);
    for (const [a, b] of [
      [empty, empty],
      [empty, zeros],
      [zeros, empty],
      [zeros, wide],
      [wide, zeros],
      [empty, wide],
    ] as const) {
      const expected = libraryDecode(libraryEncode(a));
      mergeInto(expected, libraryDecode(libraryEncode(b)));
      const actual = decodeHistogram(libraryEncode(a));
      addEncoded(actual, libraryEncode(b));
      expect(state(actual)).toEqual(state(expected));
    }
  });

  it("refuses what is not a V2 compressed histogram", () => {
    expect(() => decodeHistogram("HISTFAAAAAAAAAA")).toThrow();
    expect(() =>
      addEncoded(newLatencyHistogram(), Buffer.from("nonsense").toString("base64")),
    ).toThrow(/V2/);
  });
});
