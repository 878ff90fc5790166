import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { setOwnMethod } from "./own-method.ts";

const apiDir = fileURLToPath(new URL("..", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("setOwnMethod", () => {
  it("gives the object a method of its own with the attributes of an assigned property", () => {
    class Counter {
      n = 0;
      add = (k: number) => {
        this.n += k;
      };
    }
    const a = new Counter();
    const b = new Counter();
    const add = a.add;
    setOwnMethod(a, "add", (k: number) => add(2 * k));
    a.add(1);
    b.add(1);
    expect([a.n, b.n]).toEqual([2, 1]);
    expect(Object.getOwnPropertyDescriptor(a, "add")).toMatchObject({
      writable: true,
      enumerable: true,
      configurable: true,
    });
    // Still assignable and redefinable, as an assigned method would be.
    setOwnMethod(a, "add", () => {});
    a.add(5);
    expect(a.n).toBe(2);
  });

  it("wraps a Hono context's answer methods for the rest of the request", async () => {
    const app = new Hono();
    app.use(async (c, next) => {
      const body = c.body;
      setOwnMethod(c, "body", ((data: string, status?: number) =>
        body(`${data}!`, status as 200)) as typeof c.body);
      await next();
    });
    app.get("/", (c) => c.body("hello"));
    const res = await app.request("/");
    expect(await res.text()).toBe("hello!");
  });

  it("is how the API's code replaces methods of a request's objects (no assignment of a closure)", () => {
    // `c.body = (…) => …` and the like: see own-method.ts for what that assignment costs.
    const assigned =
      /\b(c|ctx|socket|incoming)\.(body|json|text|html|header|status|set|get|redirect|destroySoon)\s*=[^=]/;
    const offenders = sourceFiles(apiDir)
      .filter((file) => !file.endsWith("own-method.ts"))
      .flatMap((file) =>
        readFileSync(file, "utf8")
          .split("\n")
          .map((line, i) => ({ line, at: `${relative(apiDir, file)}:${i + 1}` }))
          .filter(({ line }) => assigned.test(line) && !line.trim().startsWith("*")),
      )
      .map(({ at }) => at);
    expect(offenders).toEqual([]);
  });
});
