/**
 * Text order by Unicode code point: the order of the UTF-8 bytes, which is SQLite's BINARY collation
 * (how the market store and the keyset queries order event ids). JavaScript's `<` compares UTF-16
 * code units instead, which puts a character above U+FFFF (a surrogate pair, D800-DFFF) before one in
 * U+E000-U+FFFF; so ids are compared here wherever JavaScript must order them as the database does.
 * No imports: the evaluator (core/alerts) runs it anywhere.
 */

/** A code unit's rank in code point order: surrogates (code points above U+FFFF) after U+FFFF. */
const rank = (unit: number) =>
  unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800;

/** Negative, 0 or positive as `a` sorts before, with or after `b` by code point (UTF-8 bytes). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}
