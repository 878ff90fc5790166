import { describe, expect, it } from "vitest";
import { hashApiKeyNode } from "../../platform/api-key-hash.ts";
import { apiKeyPattern, generateApiKey, grants, hashApiKey, maskApiKey } from "./api-keys.ts";
import { newId, newTimeOrderedId, randomBase62 } from "./ids.ts";

describe("api keys", () => {
  it("generates distinct well-formed keys with a visible start", () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    expect(new Set(keys.map((k) => k.key)).size).toBe(200);
    for (const { key, start } of keys) {
      expect(key).toMatch(apiKeyPattern);
      expect(key.startsWith(start)).toBe(true);
      expect(start).toHaveLength(9);
    }
    expect(maskApiKey("gp_Ab12Cd")).toBe("gp_Ab12Cd…");
  });

  it("hashes with SHA-256 (hex)", async () => {
    const a = await hashApiKey("gp_a");
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(await hashApiKey("gp_b"));
    // Node's synchronous hash is the same function.
    for (const { key } of Array.from({ length: 20 }, generateApiKey)) {
      expect(hashApiKeyNode(key)).toBe(await hashApiKey(key));
    }
    expect(await hashApiKey("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("orders scopes: admin ⊇ write ⊇ read", () => {
    expect(grants(["admin"], "read")).toBe(true);
    expect(grants(["admin"], "write")).toBe(true);
    expect(grants(["write"], "read")).toBe(true);
    expect(grants(["write"], "admin")).toBe(false);
    expect(grants(["read"], "write")).toBe(false);
    expect(grants([], "read")).toBe(false);
  });

  it("draws base62 uniformly enough and prefixes ids", () => {
    const counts = new Map<string, number>();
    for (const ch of randomBase62(62_000)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(800);
      expect(n).toBeLessThan(1200);
    }
    expect(newId("ten")).toMatch(/^ten_[0-9A-Za-z]{16}$/);
  });

  it("draws ids from the byte pool uniformly, across refills, without repeats", () => {
    const counts = new Map<string, number>();
    const ids = new Set<string>();
    // 4,000 ids of 16 characters: about 70 KB of pooled bytes, so the 4 KiB pool refills many times.
    for (let i = 0; i < 4_000; i++) {
      const id = newId("asm");
      expect(id).toMatch(/^asm_[0-9A-Za-z]{16}$/);
      ids.add(id);
      for (const ch of id.slice(4)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(ids.size).toBe(4_000);
    expect(counts.size).toBe(62);
    // 64,000 characters over 62 symbols: 1,032 expected each, sd ~32; 800..1,270 is > 7 sd.
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(800);
      expect(n).toBeLessThan(1270);
    }
  });

  it("orders time-ordered ids by their time, as text, whatever the digits", () => {
    const base = Date.UTC(2026, 11, 7, 4, 30);
    // Times across carries of every base62 digit (61 → 62, 3843 → 3844, …) and a few years apart.
    const times = [0, 1, 61, 62, 63, 3843, 3844, 238_327, 238_328, base, base + 1, base + 62, 4e12];
    const ids = times.map((t) => newTimeOrderedId("asm", t));
    for (const id of ids) expect(id).toMatch(/^asm_[0-9A-Za-z]{16}$/);
    expect([...ids].sort()).toEqual(ids);
    // The time part is the time: decoding the first 8 characters gives it back.
    const decode = (id: string) =>
      [...id.slice(4, 12)].reduce(
        (n, ch) =>
          n * 62 + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".indexOf(ch),
        0,
      );
    expect(ids.map(decode)).toEqual(times);
    // Out of range: clamped, never longer or shorter.
    expect(newTimeOrderedId("asm", -5).slice(4, 12)).toBe("00000000");
    expect(newTimeOrderedId("asm", 1e20).slice(4, 12)).toBe("zzzzzzzz");
    expect(newTimeOrderedId("asm", Number.NaN)).toMatch(/^asm_[0-9A-Za-z]{16}$/);
  });

  it("keeps time-ordered ids of one millisecond distinct, their random part uniform", () => {
    const ids = new Set<string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < 8_000; i++) {
      const id = newTimeOrderedId("asm", 1_796_000_000_000);
      ids.add(id);
      for (const ch of id.slice(12)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(ids.size).toBe(8_000);
    expect(counts.size).toBe(62);
    // 64,000 characters over 62 symbols: 1,032 expected each, sd ~32; 800..1,270 is > 7 sd.
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(800);
      expect(n).toBeLessThan(1270);
    }
  });
});
