import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alertFingerprint, fnv1a64, stableId } from "./hash.ts";

describe("fnv1a64", () => {
  it("matches the published FNV-1a 64-bit test vectors", () => {
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
    expect(fnv1a64("foobar")).toBe("85944171f73967e8");
  });

  it("equals a BigInt reference implementation on any text", () => {
    const reference = (text: string) => {
      let h = 0xcbf29ce484222325n;
      for (const byte of new TextEncoder().encode(text)) {
        h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
      }
      return h.toString(16).padStart(16, "0");
    };
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 100 })
          .map((codePoints) => String.fromCodePoint(...codePoints)),
        (text) => {
          expect(fnv1a64(text)).toBe(reference(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("hashes UTF-8 bytes, so non-ASCII text is stable", () => {
    expect(fnv1a64("Αθήνα")).toMatch(/^[0-9a-f]{16}$/);
    expect(fnv1a64("Αθήνα")).not.toBe(fnv1a64("Αθηνα"));
  });
});

describe("alertFingerprint", () => {
  const labels = { slo_id: "s1", service: "edge-api", severity: "page", tier: "page-fast" };

  it("does not depend on label order", () => {
    const reversed = Object.fromEntries(Object.entries(labels).reverse());
    expect(alertFingerprint("r1", reversed)).toBe(alertFingerprint("r1", labels));
  });

  it("is pinned: the same value on every runtime and run", () => {
    // Changing the encoding would change every stored fingerprint: this value must never move.
    expect(alertFingerprint("r1", labels)).toBe(alertFingerprint("r1", { ...labels }));
    expect(alertFingerprint("r1", labels)).toBe(PINNED);
  });

  it("changes with the rule id, a label value, or a label name", () => {
    const base = alertFingerprint("r1", labels);
    expect(alertFingerprint("r2", labels)).not.toBe(base);
    expect(alertFingerprint("r1", { ...labels, tier: "ticket" })).not.toBe(base);
    expect(alertFingerprint("r1", { ...labels, extra: "" })).not.toBe(base);
  });

  it("cannot be forged by moving separators between name and value", () => {
    expect(alertFingerprint("r1", { a: "b,c" })).not.toBe(alertFingerprint("r1", { "a,b": "c" }));
    expect(stableId("a", "b")).not.toBe(stableId("a,b"));
  });
});

const PINNED = "0c16d579f00da7a1";
