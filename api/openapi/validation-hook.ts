import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import { invalidFields, validationError } from "../errors/handler.ts";

const targetName: Record<string, string> = { json: "body", param: "params" };

/**
 * Turns every failed request validation into the API's 400 with field paths, and refuses NUL
 * characters in any validated text (body, query, path parameters, headers), keys included: SQLite
 * and C-string consumers downstream would cut the text there, so it is refused here, once, for all.
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route's input type
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) throw validationError(result.target, result.error);
  const paths = nulPaths(result.data, targetName[result.target] ?? result.target);
  if (paths.length > 0) {
    throw invalidFields(
      paths.map((path) => ({
        path,
        message: "must not contain NUL characters",
        code: "nul_character",
      })),
    );
  }
};

/** Paths of strings (values or keys) that contain U+0000, at most 10 (iterative). */
export function nulPaths(value: unknown, root: string): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0 && found.length < 10) {
    const [node, path] = stack.pop() as [unknown, string];
    if (typeof node === "string") {
      if (node.includes("\u0000")) found.push(path);
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${path}.${i}`]);
    } else if (typeof node === "object" && node !== null) {
      const entries = Object.entries(node);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i] as [string, unknown];
        if (key.includes("\u0000")) found.push(`${path}.${key.replaceAll("\u0000", "\\u0000")}`);
        stack.push([item, `${path}.${key.replaceAll("\u0000", "\\u0000")}`]);
      }
    }
  }
  return found;
}
