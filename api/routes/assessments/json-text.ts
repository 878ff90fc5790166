import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** A response of JSON already serialised (stored assessments are answered byte for byte). */
export const jsonText = (c: Context, body: string | Uint8Array, status: ContentfulStatusCode) =>
  c.body(body as string, status, { "content-type": "application/json" });

const encoder = new TextEncoder();
/** Scratch space for `utf8`: a text of up to a third of its size always fits. */
const scratch = new Uint8Array(256 * 1024);

/**
 * UTF-8 bytes of a JSON text (stored and answered as they are). An assessment's text holds Greek, so V8
 * keeps it as a two-byte string, which `TextEncoder.encode` converts about twice as slowly as
 * `encodeInto` into ready memory followed by a copy of the bytes written.
 */
export const utf8 = (text: string): Uint8Array => {
  if (text.length * 3 > scratch.length) return encoder.encode(text);
  const { written } = encoder.encodeInto(text, scratch);
  return scratch.slice(0, written);
};
