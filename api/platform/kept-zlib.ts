/**
 * Deflate-raw with a preset dictionary through one zlib stream kept per dictionary, reset between
 * payloads, instead of `inflateRawSync` / `deflateRawSync`, which build a new stream per call
 * (zlib's state and window, ~40 KB to inflate and ~270 KB to deflate, the dictionary set again) and
 * gather their output in 16 KB chunks before joining them. Under `GET /v1/assessments/{id}` load that
 * made ~60 KB of short-lived buffers per answer and a full collection every ~900 answers (their memory
 * is outside the JS heap, and V8 collects fully once that grows by about 64 MB). A kept stream writes
 * into one scratch buffer and the result is a copy of exactly the bytes written: an assessment body
 * inflates in ~25 µs instead of ~50 and deflates in ~110 instead of ~120–220, with half the full
 * collections.
 *
 * Both runtimes: workerd's `node:zlib` (nodejs_compat) has the same stream internals, and in a
 * workerd isolate a 29 KB assessment deflates in 60 µs kept against 83–90 one-shot (its asynchronous
 * call runs on the isolate's thread too) and inflates in 8–10 µs against 30.
 *
 * This drives the zlib handle's synchronous `writeSync(flush, in, inOff, inLen, out, outOff, outLen)`
 * as the `…Sync` calls themselves do: undocumented, so where it is missing (or anything at all goes
 * wrong, or the output would not fit the scratch buffer) the payload goes through the `…Sync` call,
 * which gives the same bytes or throws the usual error. After an error the stream is dropped and the
 * next payload gets a new one.
 */
import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  type DeflateRaw,
  deflateRawSync,
  type InflateRaw,
  inflateRawSync,
} from "node:zlib";

/** Deflate-raw data in, data out, with a preset dictionary. */
export type DictionaryCodec = (input: Uint8Array, dictionary: Uint8Array) => Uint8Array;

interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  onerror: ((message: string, errno: number) => void) | undefined;
}

/** A zlib stream and the internals the `…Sync` calls use: its handle, what is left after a write. */
interface KeptStream {
  engine: InflateRaw | DeflateRaw;
  handle: ZlibHandle;
  /** [output bytes left, input bytes left] after the last `writeSync`. */
  state: Uint32Array;
  failed: boolean;
}

export interface KeptZlibOptions {
  /** The largest output written in the scratch buffer; larger ones go through the `…Sync` call. */
  scratchBytes?: number;
}

/** `oneShot` over zlib streams made by `create`, kept per dictionary (see the module comment). */
function kept(
  create: (dictionary: Uint8Array) => InflateRaw | DeflateRaw,
  oneShot: DictionaryCodec,
  options: KeptZlibOptions,
): DictionaryCodec {
  const scratch = new Uint8Array(options.scratchBytes ?? 256 * 1024);
  const streams = new Map<Uint8Array, KeptStream>();
  let unsupported = false;

  const open = (dictionary: Uint8Array): KeptStream | undefined => {
    const engine = create(dictionary);
    const internals = engine as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    const handle = internals._handle;
    const state = internals._writeState;
    if (typeof handle?.writeSync !== "function" || !(state instanceof Uint32Array)) {
      unsupported = true;
      engine.close();
      return undefined;
    }
    const stream: KeptStream = { engine, handle, state, failed: false };
    // zlib reports a failed write here, synchronously, before `writeSync` returns (the stream's own
    // handler would destroy it and emit the error later).
    handle.onerror = () => {
      stream.failed = true;
    };
    return stream;
  };

  const drop = (dictionary: Uint8Array, stream: KeptStream) => {
    streams.delete(dictionary);
    try {
      stream.engine.close();
    } catch {
      // a stream that failed may be closed already
    }
  };

  return (input, dictionary) => {
    let stream = unsupported ? undefined : streams.get(dictionary);
    if (stream === undefined && !unsupported) {
      stream = open(dictionary);
      if (stream !== undefined) streams.set(dictionary, stream);
    }
    if (stream === undefined) return oneShot(input, dictionary);
    let written: number | undefined;
    try {
      stream.handle.writeSync(
        constants.Z_FINISH,
        input,
        0,
        input.byteLength,
        scratch,
        0,
        scratch.byteLength,
      );
      const [outLeft, inLeft] = stream.state as unknown as [number, number];
      // Done when zlib reported nothing, took all the input and still had room to write: with
      // Z_FINISH that is the end of the deflate stream (a truncated one reports an error).
      if (!stream.failed && inLeft === 0 && outLeft > 0) written = scratch.byteLength - outLeft;
      stream.engine.reset();
    } catch {
      stream.failed = true;
    }
    if (stream.failed) drop(dictionary, stream);
    // An error, or more output than the scratch buffer holds: zlib's own call decides.
    if (written === undefined) return oneShot(input, dictionary);
    return scratch.slice(0, written);
  };
}

/** Inflates deflate-raw payloads (the same bytes and errors as `inflateRawSync`). */
export function keptRawInflate(options: KeptZlibOptions = {}): DictionaryCodec {
  return kept(
    (dictionary) => createInflateRaw({ dictionary }),
    (input, dictionary) => inflateRawSync(input, { dictionary }),
    options,
  );
}

/** Deflates to deflate-raw at `level` (the same bytes as `deflateRawSync`). */
export function keptRawDeflate(options: KeptZlibOptions & { level: number }): DictionaryCodec {
  const { level } = options;
  return kept(
    (dictionary) => createDeflateRaw({ level, dictionary }),
    (input, dictionary) => deflateRawSync(input, { level, dictionary }),
    options,
  );
}
