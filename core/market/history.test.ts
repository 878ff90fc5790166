import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../db/keyset.ts";

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
    ]) {
      expect(decodeCursor(text), text).toBeUndefined();
    }
  });
});
