/**
 * A fuzz run over the API's own OpenAPI document, against the real Node API on an embedded libSQL
 * file with a valid admin key: every operation gets requests built from its schemas (valid values,
 * boundary values one past each bound, and hostile ones: wrong types, NUL and other nasty strings,
 * missing and unknown fields, malformed JSON, bad credentials). Ids of objects the run creates are
 * reused in later paths, so operations on existing objects are reached too. Fixed seed and request
 * budget (FUZZ_SEED, FUZZ_REQUESTS to explore further). Asserts: no 5xx, and every 4xx carries the
 * JSON error shape with the code that matches its status. Prints the counts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorStatus } from "../../core/http/error-body.ts";
import { createRng } from "../../core/random/rng.ts";
import { type ApiRuntime, startEmbeddedApiRuntime } from "../support/api-runtimes.ts";
import { type Mode, type Schema, SchemaFuzzer } from "../support/schema-fuzz.ts";

const seed = Number(process.env.FUZZ_SEED ?? 20261122);
const budget = Number(process.env.FUZZ_REQUESTS ?? 2400);
const concurrency = 4;

interface Parameter {
  in: "path" | "query" | "header";
  name: string;
  required?: boolean;
  schema: Schema;
}

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
  secured: boolean;
}

interface Sent {
  operation: string;
  method: string;
  url: string;
  body?: string;
  status: number;
  problem?: string;
  response?: string;
}

function operationsOf(doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!op || typeof op !== "object" || !("responses" in op)) continue;
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> })?.content;
      out.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters as Parameter[] | undefined) ?? [],
        body: content?.["application/json"]?.schema,
        secured: Array.isArray(op.security) && op.security.length > 0,
      });
    }
  }
  return out;
}

describe("fuzz over /openapi.json (Node API, embedded libSQL)", () => {
  let api: ApiRuntime;
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    api = await startEmbeddedApiRuntime({
      RATE_LIMIT_PER_S: "100000",
      RATE_LIMIT_BURST: "100000",
      AUTH_FAILURE_RATE_LIMIT_PER_S: "100000",
      AUTH_FAILURE_RATE_LIMIT_BURST: "100000",
      AUTH_CACHE_TTL_MS: "10000",
    });
    ({ key, keyId } = await api.tenant("fuzz"));
  });
  afterAll(async () => {
    await api?.stop();
  });

  it(`no 5xx and the error shape on every 4xx (seed ${seed}, ${budget} requests)`, async () => {
    const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as Parameters<
      typeof operationsOf
    >[0] & { components?: { schemas?: Record<string, Schema> } };
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThan(40);
    const rng = createRng(seed);
    const fuzz = new SchemaFuzzer(doc, rng);
    // Ids the run created, by prefix (slo_, whk_, …): reused in paths so existing objects are hit.
    const known = new Map<string, string[]>();
    const remember = (value: unknown) => {
      if (typeof value !== "object" || value === null) return;
      for (const [k, v] of Object.entries(value)) {
        // Never the run's own admin key: revoking it would end the run.
        if (k === "id" && typeof v === "string" && /^[a-z]+_/.test(v) && v !== keyId) {
          const prefix = v.slice(0, v.indexOf("_") + 1);
          const ids = known.get(prefix) ?? [];
          if (ids.length < 20) ids.push(v);
          known.set(prefix, ids);
        } else remember(v);
      }
    };

    const build = (op: Operation, index: number) => {
      // Every operation first gets a valid request, then a mix.
      const round = Math.floor(index / operations.length);
      const mode: Mode =
        round === 0 ? "valid" : fuzz.pick(["valid", "valid", "boundary", "hostile"] as const);
      let path = op.path;
      const query = new URLSearchParams();
      for (const p of op.parameters) {
        if (p.in === "path") {
          const pattern = String(fuzz.resolve(p.schema).pattern ?? "");
          const prefix = /\^(\w+_)/.exec(pattern)?.[1];
          const ids = prefix ? known.get(prefix) : undefined;
          const value =
            ids && mode !== "hostile" && fuzz.chance(0.7)
              ? fuzz.pick(ids)
              : String(fuzz.generate(p.schema, mode));
          path = path.replace(`{${p.name}}`, encodeURIComponent(value));
        } else if (p.in === "query" && (p.required || fuzz.chance(0.5))) {
          const value = fuzz.generate(p.schema, mode);
          if (Array.isArray(value)) for (const v of value) query.append(p.name, String(v));
          else query.set(p.name, typeof value === "object" ? JSON.stringify(value) : String(value));
        }
      }
      const headers: Record<string, string> = { Accept: "application/json" };
      if (op.secured) {
        headers.Authorization =
          mode === "hostile" && fuzz.chance(0.1)
            ? fuzz.pick(["Bearer gp_nope", "Basic Zm9vOmJhcg==", `Bearer ${key}x`, "Bearer"])
            : `Bearer ${key}`;
      }
      let body: string | undefined;
      if (op.body) {
        headers["Content-Type"] = "application/json";
        const value = fuzz.generate(op.body, mode);
        body = JSON.stringify(value);
        if (mode === "hostile" && fuzz.chance(0.15)) {
          body = fuzz.pick([
            body.slice(0, Math.max(1, body.length - 3)),
            `${body.slice(0, -1)},"extra":1,"extra":2}`,
            "[]",
            "null",
            '"\\u0000"',
            "{}",
            `${"[".repeat(200)}${"]".repeat(200)}`,
          ]);
        }
      }
      const qs = query.toString();
      return { url: `${api.url}${path}${qs ? `?${qs}` : ""}`, headers, body, mode };
    };

    const sent: Sent[] = [];
    // Requests go out `concurrency` at a time, all built before their batch is sent, so a seed
    // always sends the same sequence (only the ids the server mints differ between runs).
    const send = async (op: Operation, request: ReturnType<typeof build>) => {
      const res = await fetch(request.url, {
        method: op.method,
        headers: request.headers,
        body: request.body,
      });
      const text = await res.text();
      const record: Sent = {
        operation: `${op.method} ${op.path}`,
        method: op.method,
        url: request.url.slice(api.url.length, api.url.length + 300),
        body: request.body?.slice(0, 300),
        status: res.status,
      };
      if (res.status >= 500) record.problem = "5xx";
      else if (res.status >= 400) {
        let parsed: { error?: { code?: unknown; message?: unknown } } | undefined;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const code = parsed?.error?.code;
        if (
          !(res.headers.get("content-type") ?? "").includes("application/json") ||
          typeof code !== "string" ||
          typeof parsed?.error?.message !== "string" ||
          errorStatus[code as keyof typeof errorStatus] !== res.status
        ) {
          record.problem = "error shape";
        }
      } else if (text.length > 0 && res.headers.get("content-type")?.includes("json")) {
        remember(JSON.parse(text));
      }
      if (record.problem) record.response = text.slice(0, 300);
      sent.push(record);
    };
    for (let start = 0; start < budget; start += concurrency) {
      const batch: [Operation, ReturnType<typeof build>][] = [];
      for (let index = start; index < Math.min(budget, start + concurrency); index++) {
        const op = operations[index % operations.length] as Operation;
        batch.push([op, build(op, index)]);
      }
      await Promise.all(batch.map(([op, request]) => send(op, request)));
    }

    const byStatus = new Map<number, number>();
    for (const s of sent) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + 1);
    const reached = new Set(sent.filter((s) => s.status < 300).map((s) => s.operation));
    console.log(
      `openapi fuzz: seed ${seed}, ${sent.length} requests over ${operations.length} operations; ` +
        `by status: ${[...byStatus]
          .sort((a, b) => a[0] - b[0])
          .map(([status, n]) => `${status}=${n}`)
          .join(" ")}; operations answered 2xx at least once: ${reached.size}`,
    );
    const problems = sent.filter((s) => s.problem);
    for (const p of problems.slice(0, 10)) console.log("problem:", JSON.stringify(p));
    expect(sent).toHaveLength(budget);
    expect(problems).toEqual([]);
    expect(api.output()).not.toMatch(/unhandled error/);
  });
});
