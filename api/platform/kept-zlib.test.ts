/**
 * The kept zlib streams give exactly what `inflateRawSync` and `deflateRawSync` give: the same bytes
 * for every payload (two dictionaries, every level, outputs past the scratch buffer), the same errors
 * for broken payloads, and the stream is fine again after one. zlib's own calls are counted: the kept
 * streams use them only where they say they do.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { keptRawDeflate, keptRawInflate } from "./kept-zlib.ts";

const zlibCalls = vi.hoisted(() => ({ count: 0, deflates: 0 }));
vi.mock("node:zlib", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:zlib")>();
  return {
    ...real,
    inflateRawSync: (...args: Parameters<typeof real.inflateRawSync>) => {
      zlibCalls.count += 1;
      return real.inflateRawSync(...args);
    },
    deflateRawSync: (...args: Parameters<typeof real.deflateRawSync>) => {
      zlibCalls.deflates += 1;
      return real.deflateRawSync(...args);
    },
  };
});
afterEach(() => {
  zlibCalls.count = 0;
  zlibCalls.deflates = 0;
});

/** A pseudo-random JSON-like text of about `size` characters (deterministic per seed). */
function sample(seed: number, size: number): Uint8Array {
  let x = seed * 2654435761;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x;
  };
  const words = ["assessment", "primaryEnergy", "kwhM2", "Εξοικονόμηση", "m²", "null", "true"];
  let text = "{";
  while (text.length < size) text += `"${words[next() % words.length]}":${next() % 100_000},`;
  return new TextEncoder().encode(`${text}"end":1}`);
}

// Preset dictionaries as gridpulse's stored bodies use them: text like the payloads (8 KB), and another.
const dictionary = sample(99, 8_000);
const other = new TextEncoder().encode('{"another":"dictionary","with":["its","own","words"]}');

/** What a call gives: its bytes, or its error's message and codes. */
const outcome = (run: () => Uint8Array) => {
  try {
    return { bytes: Buffer.from(run()).toString("base64") };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { message: e.message, code: e.code, errno: e.errno };
  }
};

describe("keptRawInflate", () => {
  it("gives inflateRawSync's bytes for payloads of every size, over two dictionaries", () => {
    const scratchBytes = 64 * 1024;
    const inflate = keptRawInflate({ scratchBytes });
    const results: [Uint8Array, Uint8Array][] = [];
    let larger = 0;
    for (let i = 0; i < 60; i++) {
      const dict = i % 3 === 0 ? other : dictionary;
      // Up to twice the scratch buffer: the larger ones go through zlib's own call.
      const plain = sample(i, 50 + i * 2_000);
      const payload = deflateRawSync(plain, { level: 1 + (i % 9), dictionary: dict });
      const got = inflate(payload, dict);
      if (plain.byteLength >= scratchBytes) larger += 1;
      expect(zlibCalls.count).toBe(larger);
      expect(Buffer.from(got).equals(inflateRawSync(payload, { dictionary: dict }))).toBe(true);
      zlibCalls.count -= 1; // the comparison's own call
      results.push([got, plain]);
    }
    // Output that fills the scratch buffer exactly, or overruns it after all input was read (a long
    // run of one byte deflates to a few hundred bytes).
    for (const size of [scratchBytes, scratchBytes + 1, 3 * scratchBytes]) {
      const plain = new Uint8Array(size).fill(0x20);
      const payload = deflateRawSync(plain, { dictionary });
      expect(Buffer.from(inflate(payload, dictionary)).equals(plain)).toBe(true);
    }
    // Every answer is a copy of its own: later calls leave the earlier ones as they were.
    for (const [got, plain] of results) expect(Buffer.from(got).equals(plain)).toBe(true);
  });

  it("throws what inflateRawSync throws, then inflates the next payload as before", () => {
    const inflate = keptRawInflate();
    const good = deflateRawSync(sample(1, 30_000), { dictionary });
    const broken = Uint8Array.from(good);
    broken.fill(0xff, 10, 40);
    const truncated = good.subarray(0, good.byteLength - 20);
    for (const bad of [broken, truncated, new Uint8Array([0xff, 0xff, 0xff])]) {
      const expected = outcome(() => inflateRawSync(bad, { dictionary }));
      expect(expected).toHaveProperty("code");
      expect(outcome(() => inflate(bad, dictionary))).toEqual(expected);
      // The failed stream is replaced: the next payload is the kept stream's again.
      zlibCalls.count = 0;
      expect(Buffer.from(inflate(good, dictionary)).equals(sample(1, 30_000))).toBe(true);
      expect(zlibCalls.count).toBe(0);
    }
    // A payload deflated with another dictionary: whatever zlib's own call makes of it.
    const foreign = deflateRawSync(sample(2, 5_000), { dictionary: other });
    expect(outcome(() => inflate(foreign, dictionary))).toEqual(
      outcome(() => inflateRawSync(foreign, { dictionary })),
    );
    expect(Buffer.from(inflate(good, dictionary)).equals(sample(1, 30_000))).toBe(true);
  });

  it("deflates to deflateRawSync's bytes at every level, over two dictionaries", () => {
    const scratchBytes = 64 * 1024;
    for (const level of [1, 3, 6, 9]) {
      const deflate = keptRawDeflate({ level, scratchBytes });
      for (let i = 0; i < 24; i++) {
        const dict = i % 3 === 0 ? other : dictionary;
        // Random bytes do not compress: past the scratch buffer from 64 KB of input on.
        const plain =
          i % 8 === 7
            ? Uint8Array.from({ length: 40_000 + i * 1_500 }, (_, k) => (k * 7919 + i) % 251)
            : sample(i, 100 + i * 4_000);
        zlibCalls.deflates = 0;
        const got = deflate(plain, dict);
        const fitted = zlibCalls.deflates === 0;
        const expected = deflateRawSync(plain, { level, dictionary: dict });
        expect(Buffer.from(got).equals(expected)).toBe(true);
        // Kept unless the output could not fit the scratch buffer.
        expect(fitted || expected.byteLength >= scratchBytes - 64).toBe(true);
        expect(Buffer.from(inflateRawSync(got, { dictionary: dict })).equals(plain)).toBe(true);
      }
    }
    // Compressible input inflates to more than the scratch buffer but deflates into it: kept.
    const deflate = keptRawDeflate({ level: 1, scratchBytes });
    zlibCalls.deflates = 0;
    deflate(sample(7, 3 * scratchBytes), dictionary);
    expect(zlibCalls.deflates).toBe(0);
  });
});
