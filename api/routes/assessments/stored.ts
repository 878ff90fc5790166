/**
 * The stored form of an assessment response: the JSON text exactly as the API answered it, compressed,
 * so `GET /v1/assessments/{id}` returns the same bytes as the `POST` that created it, whatever the
 * engine does later, at a few KB per assessment instead of ~40 KB.
 *
 * Format: one format byte, then the payload.
 * - 1: deflate-raw (RFC 1951) of the UTF-8 JSON with preset dictionary v1 (dictionaries/v1.ts): a typical
 *   response, so keys, assumption texts and sources cost back-references instead of bytes.
 * Dictionaries are never changed once rows use them; a better one gets a new format byte, and every
 * format stays decodable. node:zlib runs on both runtimes (Workers: nodejs_compat, the default from
 * compatibility date 2026-08-04). The Node API compresses on its assessment worker threads
 * (api/platform/node/assessment-workers.ts, with the synchronous call below), Workers with the
 * asynchronous one; both decompress in line (`decodeBodySync`: ~50 µs a body with zlib's own call,
 * ~25 µs with the Node API's kept stream). On Node both directions go through zlib streams kept per
 * dictionary (api/platform/kept-zlib.ts), passed in as `RawCodec`s.
 */
import { deflateRaw, deflateRawSync, inflateRawSync } from "node:zlib";
import type { DictionaryCodec } from "../../platform/kept-zlib.ts";
import { assessmentDictionaryV1 } from "./dictionaries/v1.ts";

const FORMAT_DEFLATE_V1 = 1;
const dictionaryV1 = new TextEncoder().encode(assessmentDictionaryV1);

/**
 * zlib level. Over the synthetic stock (`node dev/assessments/dictionary.ts`) a response averages ~40 KB
 * and deflates with the dictionary to 3.6 KB at level 3 and 3.0 KB at level 6; level 6 takes about twice
 * the CPU (zlib's levels 4 and up search for lazy matches), ~190 µs instead of ~95 µs a response.
 */
export const STORED_LEVEL = 3;

const framed = (deflated: Uint8Array) => {
  const body = new Uint8Array(deflated.byteLength + 1);
  body[0] = FORMAT_DEFLATE_V1;
  body.set(deflated, 1);
  return body;
};

const payload = (stored: ArrayBuffer | Uint8Array) => {
  const bytes = stored instanceof Uint8Array ? stored : new Uint8Array(stored);
  if (bytes[0] !== FORMAT_DEFLATE_V1)
    throw new Error(`stored assessment: unknown format ${String(bytes[0])}`);
  return bytes.subarray(1);
};

/** The stored form of a response's UTF-8 bytes. */
export function encodeBody(utf8: Uint8Array, level = STORED_LEVEL): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    deflateRaw(utf8, { level, dictionary: dictionaryV1 }, (error, out) =>
      error ? reject(error) : resolve(framed(out)),
    ),
  );
}

/** Deflate-raw with a preset dictionary, one way or the other: data in, data out. */
export type RawCodec = DictionaryCodec;

const zlibDeflate: RawCodec = (input, dictionary) =>
  deflateRawSync(input, { level: STORED_LEVEL, dictionary });
const zlibInflate: RawCodec = (deflated, dictionary) => inflateRawSync(deflated, { dictionary });

/**
 * `encodeBody`, synchronously (for a worker thread, whose loop has nothing else to do), by `deflate`
 * at `STORED_LEVEL` (default zlib's own call).
 */
export function encodeBodySync(utf8: Uint8Array, deflate: RawCodec = zlibDeflate): Uint8Array {
  return framed(deflate(utf8, dictionaryV1));
}

/** The response's UTF-8 bytes back from its stored form (by `inflate`; default zlib's own call). */
export function decodeBodySync(
  stored: ArrayBuffer | Uint8Array,
  inflate: RawCodec = zlibInflate,
): Uint8Array {
  return inflate(payload(stored), dictionaryV1);
}
