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
 * compatibility date 2026-08-04); on Node the asynchronous calls run on libuv's thread pool, off the
 * event loop.
 */
import { constants, deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from "node:zlib";
import { assessmentDictionaryV1 } from "./dictionaries/v1.ts";

const FORMAT_DEFLATE_V1 = 1;
const dictionaryV1 = new TextEncoder().encode(assessmentDictionaryV1);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** zlib level: 6 compresses typical responses ~14x with the dictionary (see dev/assessments/dictionary.ts). */
export const STORED_LEVEL = 6;

export function encodeBody(json: string, level = STORED_LEVEL): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    deflateRaw(
      encoder.encode(json),
      { level, dictionary: dictionaryV1, strategy: constants.Z_DEFAULT_STRATEGY },
      (error, out) => {
        if (error) return reject(error);
        const body = new Uint8Array(out.byteLength + 1);
        body[0] = FORMAT_DEFLATE_V1;
        body.set(out, 1);
        resolve(body);
      },
    ),
  );
}

/** `encodeBody`, synchronously (for a worker thread that does nothing else). */
export function encodeBodySync(json: string, level = STORED_LEVEL): Uint8Array {
  const out = deflateRawSync(encoder.encode(json), { level, dictionary: dictionaryV1 });
  const body = new Uint8Array(out.byteLength + 1);
  body[0] = FORMAT_DEFLATE_V1;
  body.set(out, 1);
  return body;
}

/** `decodeBody`, synchronously. */
export function decodeBodySync(stored: ArrayBuffer | Uint8Array): string {
  const bytes = stored instanceof Uint8Array ? stored : new Uint8Array(stored);
  if (bytes[0] !== FORMAT_DEFLATE_V1)
    throw new Error(`stored assessment: unknown format ${String(bytes[0])}`);
  return decoder.decode(inflateRawSync(bytes.subarray(1), { dictionary: dictionaryV1 }));
}

/** Encodes and decodes stored bodies; Node hands this to a worker thread (api/platform/node). */
export interface BodyCodec {
  encode(json: string): Promise<Uint8Array>;
  decode(stored: ArrayBuffer | Uint8Array): Promise<string>;
}

export const inlineBodyCodec: BodyCodec = {
  encode: (json) => encodeBody(json),
  decode: (stored) => decodeBody(stored),
};

export function decodeBody(stored: ArrayBuffer | Uint8Array): Promise<string> {
  const bytes = stored instanceof Uint8Array ? stored : new Uint8Array(stored);
  const format = bytes[0];
  if (format !== FORMAT_DEFLATE_V1)
    return Promise.reject(new Error(`stored assessment: unknown format ${String(format)}`));
  return new Promise((resolve, reject) =>
    inflateRaw(bytes.subarray(1), { dictionary: dictionaryV1 }, (error, out) =>
      error ? reject(error) : resolve(decoder.decode(out)),
    ),
  );
}
