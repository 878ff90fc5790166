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
  let out = `${prefix}_`;
  for (let n = 0; n < 16; ) {
    const byte = idByte();
    // Rejection sampling as in randomBase62: 248 = 4 * 62, so every character is equally likely.
    if (byte < 248) {
      out += alphabet[byte % 62];
      n++;
    }
  }
  return out;
}
