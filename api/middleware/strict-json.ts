/**
 * Strict JSON request bodies for `/v1`: a body is parsed once here (the route validators then read
 * that value), and refused with 400 when an object repeats a key (JSON.parse would silently keep the
 * last one), when it nests deeper than `maxJsonDepth`, or when it is not JSON at all.
 *
 * Cost: JSON.parse, then one pass over the text counting the members it holds (the `:` outside string
 * literals) and one walk of the parsed value counting keys. An object with a repeated key has fewer
 * keys than members, so equal counts prove there is none; only a body that fails that check is scanned
 * again, key by key, to name the repeated key's path. Everything is linear in the body's size and
 * iterative (no recursion on nesting).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";
import { invalidField } from "../errors/handler.ts";

export const maxJsonDepth = 64;

const bodyMethods = new Set(["POST", "PUT", "PATCH"]);
const jsonType = /^application\/([\w.-]+\+)?json$/i;

export function strictJson(): MiddlewareHandler<AppEnv> {
  return async function strictJsonMiddleware(c, next) {
    if (!bodyMethods.has(c.req.method)) return next();
    const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim() ?? "";
    if (!jsonType.test(type)) return next();
    const text = await c.req.text();
    if (text.length === 0) return next();
    const value = parseStrictJson(text);
    // The validators call c.req.json(): hand them this value instead of parsing the text again.
    const parsed = Promise.resolve(value);
    Object.defineProperty(c.req, "json", { value: () => parsed, configurable: true });
    await next();
  };
}

/** JSON.parse that refuses repeated keys and deep nesting with the API's 400s. */
export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(
      "bad_request",
      `malformed JSON in request body: ${(error as Error).message}`,
    );
  }
  const keys = countKeys(value);
  if (keys.depth > maxJsonDepth) {
    throw invalidField("body", `nests deeper than ${maxJsonDepth} levels`, "too_deep");
  }
  if (keys.proto) {
    // A map's validator (labels, annotations) would assign it as the object's prototype: the member
    // would be lost without a word.
    throw invalidField(
      ["body", ...(protoKeyPath(value) ?? [])].join("."),
      'a key named "__proto__" is not accepted',
      "reserved_key",
    );
  }
  if (keys.count !== countMembers(text)) {
    const path = duplicateKeyPath(text);
    if (path) {
      throw invalidField(
        ["body", ...path].join("."),
        `duplicate key "${path.at(-1)}" in the JSON body`,
        "duplicate_key",
      );
    }
  }
  return value;
}

/** Index of the quote closing the string literal that opens at `start` (the text is valid JSON). */
function stringEnd(text: string, start: number): number {
  let end = start;
  for (;;) {
    end = text.indexOf('"', end + 1);
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 92) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
}

/** Object members in a valid JSON text: every `:` outside string literals separates one. */
export function countMembers(text: string): number {
  let members = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) i = stringEnd(text, i);
    else if (ch === 58) members++;
  }
  return members;
}

/**
 * Keys of every object in a parsed value, its nesting depth, and whether a key is `__proto__`
 * (JSON.parse makes it an own member) (iterative).
 */
export function countKeys(value: unknown): { count: number; depth: number; proto: boolean } {
  let count = 0;
  let depth = 0;
  let proto = false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, level] = stack.pop() as [unknown, number];
    if (typeof node !== "object" || node === null) continue;
    if (level > depth) depth = level;
    if (depth > maxJsonDepth) break;
    if (Array.isArray(node)) {
      for (const item of node)
        if (typeof item === "object" && item !== null) stack.push([item, level + 1]);
    } else {
      for (const key in node) {
        count++;
        if (key === "__proto__") proto = true;
        const item = (node as Record<string, unknown>)[key];
        if (typeof item === "object" && item !== null) stack.push([item, level + 1]);
      }
    }
  }
  return { count, depth, proto };
}

/** The path of the first `__proto__` key in a parsed value (iterative). */
function protoKeyPath(value: unknown): string[] | undefined {
  const stack: [unknown, string[]][] = [[value, []]];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, string[]];
    if (typeof node !== "object" || node === null) continue;
    for (const key of Object.keys(node)) {
      if (key === "__proto__") return [...path, key];
      stack.push([(node as Record<string, unknown>)[key], [...path, key]]);
    }
  }
  return undefined;
}

type Frame =
  | { kind: "object"; keys: Set<string>; key: string | undefined; expectKey: boolean }
  | { kind: "array"; index: number };

/** The path of the first repeated key in a valid JSON text (e.g. ["location", "prefecture"]). */
export function duplicateKeyPath(text: string): string[] | undefined {
  const stack: Frame[] = [];
  const pathTo = () =>
    stack.slice(0, -1).map((f) => (f.kind === "object" ? String(f.key) : String(f.index)));
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (ch === 34) {
      const end = stringEnd(text, i);
      if (top?.kind === "object" && top.expectKey) {
        const literal = text.slice(i, end + 1);
        const key = literal.includes("\\") ? (JSON.parse(literal) as string) : literal.slice(1, -1);
        if (top.keys.has(key)) return [...pathTo(), key];
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    } else if (ch === 123) {
      stack.push({ kind: "object", keys: new Set(), key: undefined, expectKey: true });
    } else if (ch === 91) {
      stack.push({ kind: "array", index: 0 });
    } else if (ch === 125 || ch === 93) {
      stack.pop();
    } else if (ch === 44 && top) {
      if (top.kind === "object") top.expectKey = true;
      else top.index++;
    }
  }
  return undefined;
}
