import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, maxCursorLength } from "../db/keyset.ts";

describe("market event cursors", () => {
  it("round-trip any event id, URL-safe", () => {
    for (const cursor of [
      { tsMs: 1_790_000_000_000, id: "p1" },
      { tsMs: 0, id: "τιμή/ρεύματος+?&=" },
      { tsMs: 946_684_800_000, id: "x".repeat(128) },
    ]) {
      const text = encodeCursor(cursor);
      expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(text)).toEqual(cursor);
    }
  });

  it("round-trip the longest ids of any table, at any time a cursor can hold", () => {
    // 128 UTF-16 code units, each as long as JSON and UTF-8 make it: an escaped control character or
    // lone surrogate (6 bytes), a quote or backslash (2), a BMP character (3), a surrogate pair (4).
    const ids = [
      "€".repeat(128),
      "\u0001".repeat(128),
      "\ud800".repeat(128),
      '"'.repeat(128),
      "\\".repeat(128),
      "😀".repeat(64),
      `${"a".repeat(127)}\u0001`,
      `Αττική-${"α".repeat(121)}`,
    ];
    for (const id of ids)
      for (const tsMs of [Number.MIN_SAFE_INTEGER, 0, 1_790_000_000_000, Number.MAX_SAFE_INTEGER]) {
        const text = encodeCursor({ tsMs, id });
        expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(text), `${tsMs} ${id.slice(0, 4)}…`).toEqual({ tsMs, id });
      }
    // The cap is the worst case exactly.
    expect(encodeCursor({ tsMs: Number.MIN_SAFE_INTEGER, id: "\u0001".repeat(128) })).toHaveLength(
      maxCursorLength,
    );
  });

  it("reject what this API did not issue", () => {
    for (const text of [
      "",
      "not a cursor",
      "%%%",
      btoa("{}"),
      btoa('[1.5,"a"]'),
      btoa('[1,""]'),
      btoa("[1,2,3]"),
      btoa(`[1,"${"x".repeat(129)}"]`).replace(/=+$/, ""),
      btoa(`[1,"${"\\u0001".repeat(129)}"]`).replace(/=+$/, ""),
      btoa(`[${Number.MAX_SAFE_INTEGER + 1},"x"]`).replace(/=+$/, ""),
      "A".repeat(2000),
    ]) {
      expect(decodeCursor(text), text).toBeUndefined();
    }
  });
});
