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

/** A prefixed opaque id such as `ten_4fK2…` (about 95 bits of randomness). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(16)}`;
}
