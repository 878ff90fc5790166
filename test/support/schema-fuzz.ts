/**
 * Values for fuzzing an HTTP API from its OpenAPI 3.1 document: given a JSON Schema (with `$ref`s into
 * the document's components), `generate` returns a value that either follows the schema (formats,
 * patterns, bounds, required properties) or deliberately breaks it at a boundary (one past a length or
 * range, a wrong type, a missing required or an unknown property, NUL and other hostile strings).
 * Deterministic for a given random source.
 */
import type { Rng } from "../../core/random/rng.ts";

export type Schema = Record<string, unknown>;
export type Mode = "valid" | "boundary" | "hostile";

/** A YAML alias bomb ("billion laughs"): nine aliases per level, eight levels. */
const aliasBomb = ["a: &a [x,x,x,x,x,x,x,x,x]"]
  .concat(
    [..."bcdefgh"].map(
      (level, i) => `${level}: &${level} [${Array(9).fill(`*${"abcdefg"[i]}`).join(",")}]`,
    ),
  )
  .join("\n");

const hostileStrings = [
  aliasBomb,
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "💥🔥",
  "\u202Eevil",
  "../../etc/passwd",
  "' OR 1=1 --",
  "%00",
  "<script>alert(1)</script>",
  "$" + "{7*7}",
  "\\",
  '"',
  "null",
  "-1",
  "1e309",
  "NaN",
  "9007199254740993",
  "x".repeat(5000),
];

const hostileNumbers = [0, -0, -1, 1, 0.5, -1e308, 1e308, 2 ** 53 + 2, Number.MIN_VALUE, 1e-9];

export class SchemaFuzzer {
  private readonly doc: { components?: { schemas?: Record<string, Schema> } };
  private readonly rng: Rng;

  constructor(doc: { components?: { schemas?: Record<string, Schema> } }, rng: Rng) {
    this.doc = doc;
    this.rng = rng;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.rng() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.rng() < p;
  }

  resolve(schema: Schema): Schema {
    let s = schema;
    for (let i = 0; i < 10 && typeof s.$ref === "string"; i++) {
      const name = (s.$ref as string).replace("#/components/schemas/", "");
      s = { ...(this.doc.components?.schemas?.[name] ?? {}), ...withoutRef(s) };
    }
    return s;
  }

  /** A value for `schema`; `mode` decides how far it strays from it. */
  generate(schema: Schema, mode: Mode, depth = 0): unknown {
    const s = this.resolve(schema);
    if (mode === "hostile" && this.chance(0.15)) return this.wrongType(s);
    if (depth > 8) return null;
    if ("const" in s) return mode !== "valid" && this.chance(0.2) ? this.wrongType(s) : s.const;
    if (Array.isArray(s.enum)) {
      if (mode !== "valid" && this.chance(0.25)) return this.pick(hostileStrings.slice(0, 12));
      return this.pick(s.enum);
    }
    const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
    if (Array.isArray(alternatives) && alternatives.length > 0) {
      return this.generate(this.pick(alternatives), mode, depth + 1);
    }
    if (Array.isArray(s.allOf)) {
      const merged = Object.assign({}, ...(s.allOf as Schema[]).map((p) => this.resolve(p)));
      return this.generate(merged, mode, depth + 1);
    }
    const type = Array.isArray(s.type) ? this.pick(s.type as string[]) : (s.type as string);
    if (mode === "valid" && "default" in s && this.chance(0.2)) return s.default;
    switch (type) {
      case "string":
        return this.string(s, mode);
      case "integer":
        return this.number(s, mode, true);
      case "number":
        return this.number(s, mode, false);
      case "boolean":
        return this.chance(0.5);
      case "null":
        return null;
      case "array":
        return this.array(s, mode, depth);
      case "object":
        return this.object(s, mode, depth);
      default:
        return mode === "valid" ? {} : this.wrongType(s);
    }
  }

  private wrongType(s: Schema): unknown {
    const options: unknown[] = [
      null,
      true,
      42,
      -1.5,
      "text",
      [],
      {},
      [1, "two", null],
      { nested: { deeper: ["x"] } },
    ];
    const type = s.type;
    return this.pick(options.filter((o) => typeof o !== type));
  }

  private string(s: Schema, mode: Mode): string {
    const min = (s.minLength as number | undefined) ?? 0;
    const max = (s.maxLength as number | undefined) ?? Math.max(min, 40);
    if (mode === "hostile" && this.chance(0.6)) return this.pick(hostileStrings);
    if (mode === "boundary") {
      const lengths = [min, max, max + 1, Math.max(0, min - 1)];
      const length = this.pick(lengths);
      const base = s.pattern ? fromPattern(s.pattern as string, this) : "";
      return base.length > 0 && this.chance(0.5)
        ? base.slice(0, length).padEnd(length, base.at(-1))
        : "b".repeat(length);
    }
    if (s.format === "date-time") {
      const ms =
        Date.UTC(2026, 0, 1) + this.int(-400, 400) * 86_400_000 + this.int(0, 86_399) * 1000;
      return new Date(ms).toISOString();
    }
    if (s.pattern) return fromPattern(s.pattern as string, this);
    const length = this.int(min, Math.min(max, min + 24));
    let out = "";
    const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.";
    for (let i = 0; i < length; i++) out += alphabet[this.int(0, alphabet.length - 1)];
    return out;
  }

  private number(s: Schema, mode: Mode, integer: boolean): number {
    const lo =
      (s.minimum as number | undefined) ??
      ((s.exclusiveMinimum as number | undefined) !== undefined
        ? (s.exclusiveMinimum as number) + (integer ? 1 : 1e-6)
        : -1000);
    const hi =
      (s.maximum as number | undefined) ??
      ((s.exclusiveMaximum as number | undefined) !== undefined
        ? (s.exclusiveMaximum as number) - (integer ? 1 : 1e-6)
        : Math.max(lo, 0) + 1000);
    if (mode === "hostile" && this.chance(0.5)) return this.pick(hostileNumbers);
    if (mode === "boundary") {
      const step = integer ? 1 : 1e-9;
      return this.pick([lo, hi, lo - step, hi + step, integer ? lo + 0.5 : lo]);
    }
    const value = lo + this.rng() * (Math.min(hi, lo + 1e6) - lo);
    return integer ? Math.max(Math.ceil(lo), Math.min(Math.floor(hi), Math.round(value))) : value;
  }

  private array(s: Schema, mode: Mode, depth: number): unknown[] {
    const min = (s.minItems as number | undefined) ?? 0;
    const max = (s.maxItems as number | undefined) ?? Math.max(min, 4);
    let length = this.int(min, Math.min(max, min + 3));
    if (mode === "boundary") length = this.pick([min, max, max + 1, Math.max(0, min - 1)]);
    length = Math.min(length, 300);
    const items = (s.items as Schema | undefined) ?? {};
    return Array.from({ length }, () => this.generate(items, mode, depth + 1));
  }

  private object(s: Schema, mode: Mode, depth: number): Record<string, unknown> {
    const properties = (s.properties as Record<string, Schema> | undefined) ?? {};
    const required = new Set((s.required as string[] | undefined) ?? []);
    const out: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(properties)) {
      const include = required.has(name)
        ? !(mode !== "valid" && this.chance(0.05))
        : this.chance(0.6);
      if (include) out[name] = this.generate(property, mode, depth + 1);
    }
    const additional = s.additionalProperties;
    if (typeof additional === "object" && additional !== null && this.chance(0.5)) {
      for (let i = this.int(0, 3); i > 0; i--) {
        const key = this.pick(["team", "env", "région", "a_b", "x".repeat(this.int(1, 70))]);
        out[key] = this.generate(additional as Schema, mode, depth + 1);
      }
    }
    if (mode !== "valid" && this.chance(0.1)) out[this.pick(["foo", "__proto__x", "id"])] = 1;
    return out;
  }
}

function withoutRef(s: Schema): Schema {
  const { $ref: _ref, ...rest } = s;
  return rest;
}

/**
 * A string matching a simple regular expression: anchors, literals, escapes (\d \s \w \/), character
 * classes with ranges and negation, and the quantifiers ? * + {n} {n,m}. Enough for the document's
 * id, name and duration patterns.
 */
export function fromPattern(pattern: string, f: SchemaFuzzer): string {
  const printable = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i));
  const atoms: { chars: string[]; min: number; max: number }[] = [];
  let i = 0;
  const escapeClass = (ch: string): string[] => {
    if (ch === "d") return [..."0123456789"];
    if (ch === "w") return [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"];
    if (ch === "s") return [" ", "\t"];
    return [ch];
  };
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    let chars: string[];
    if (ch === "^" || ch === "$") {
      i++;
      continue;
    }
    if (ch === "\\") {
      chars = escapeClass(pattern[i + 1] as string);
      i += 2;
    } else if (ch === "[") {
      const end = pattern.indexOf("]", i + 2);
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith("^");
      if (negated) body = body.slice(1);
      const set: string[] = [];
      for (let j = 0; j < body.length; j++) {
        const c = body[j] as string;
        if (c === "\\") {
          set.push(...escapeClass(body[j + 1] as string));
          j++;
        } else if (body[j + 1] === "-" && j + 2 < body.length) {
          const to = body.charCodeAt(j + 2);
          for (let code = c.charCodeAt(0); code <= to; code++) set.push(String.fromCharCode(code));
          j += 2;
        } else set.push(c);
      }
      chars = negated ? printable.filter((p) => !set.includes(p)) : set;
      i = end + 1;
    } else {
      chars = [ch];
      i++;
    }
    let min = 1;
    let max = 1;
    const q = pattern[i];
    if (q === "?") [min, max, i] = [0, 1, i + 1];
    else if (q === "*") [min, max, i] = [0, 8, i + 1];
    else if (q === "+") [min, max, i] = [1, 8, i + 1];
    else if (q === "{") {
      const end = pattern.indexOf("}", i);
      const [a, b] = pattern.slice(i + 1, end).split(",");
      min = Number(a);
      max = b === undefined ? min : b === "" ? min + 8 : Number(b);
      i = end + 1;
    }
    atoms.push({ chars, min, max });
  }
  let out = "";
  for (const atom of atoms) {
    const n = f.int(atom.min, Math.min(atom.max, atom.min + 12));
    for (let k = 0; k < n; k++) out += f.pick(atom.chars);
  }
  return out;
}
