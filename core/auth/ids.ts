/** Random identifiers and secrets from the platform CSPRNG (Web Crypto: Workers and Node alike). */

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `length` characters of base62, each uniform (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    const bytes = crypto.getRandomValues(
      new Uint8Array(Math.min(65_536, (length - out.length) * 2)),
    );
    for (const byte of bytes) {
      if (byte < 248 && out.length < length) out += alphabet[byte % 62];
    }
  }
  return out;
}

/**
 * Random bytes for identifiers, drawn from the CSPRNG 4 KiB at a time: one `getRandomValues` call per
 * id cost more than the rest of an id's work (about 2% of an assessment POST's CPU). Secrets (API keys,
 * webhook secrets) do not use the pool: `randomBase62` asks the CSPRNG for fresh bytes every time.
 */
const idBytes = new Uint8Array(4096);
let idByteAt = idBytes.length;
function idByte(): number {
  if (idByteAt === idBytes.length) {
    crypto.getRandomValues(idBytes);
    idByteAt = 0;
  }
  return idBytes[idByteAt++] as number;
}

/** A prefixed opaque id such as `ten_4fK2…` (16 base62 characters, about 95 bits of randomness). */
export function newId(prefix: string): string {
  return randomChars(`${prefix}_`, 16);
}

/** `count` base62 characters from the pool, appended to `out`. */
function randomChars(out: string, count: number): string {
  for (let n = 0; n < count; ) {
    const byte = idByte();
    // Rejection sampling as in randomBase62: 248 = 4 * 62, so every character is equally likely.
    if (byte < 248) {
      out += alphabet[byte % 62];
      n++;
    }
  }
  return out;
}

/** Base62 digits of the time part: 62^8 ms is ~6,900 years from 1970. */
const TIME_CHARS = 8;

/**
 * A prefixed id of the same shape as `newId` (16 base62 characters) whose first 8 characters are
 * `nowMs` in base62, fixed width, and the last 8 random (about 48 bits; ids of one millisecond collide
 * with odds of ~1 in 10^14 per pair, and a primary key refuses a repeat). The alphabet is in ASCII
 * order, so the ids of a table's rows sort by creation time: a new row's primary-key entry goes at
 * the end of the index instead of on a random page of it. For tables with many inserts (stored
 * assessments; `npm run bench:ids`): over 200,000 stored rows the event loop spends 0.63x the time
 * per row written, and the process 0.77x the CPU. The time it shows is the row's creation time,
 * which the API shows anyway.
 */
export function newTimeOrderedId(prefix: string, nowMs: number): string {
  let t = Number.isNaN(nowMs) ? 0 : Math.min(62 ** TIME_CHARS - 1, Math.max(0, Math.floor(nowMs)));
  let time = "";
  for (let i = 0; i < TIME_CHARS; i++) {
    time = alphabet[t % 62] + time;
    t = Math.floor(t / 62);
  }
  return randomChars(`${prefix}_${time}`, 16 - TIME_CHARS);
}
