/**
 * The OpenAPI document is ready for SDK generators: Spectral's `spectral:oas` ruleset finds nothing
 * (0 errors, 0 warnings), every operation has a unique operationId, public operations say
 * `security: []`, conventions' headers and parameters are documented, every request body has an
 * example valid against its schema, and a client generated with openapi-typescript type-checks a
 * small program (and rejects a wrong one).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Document, Spectral } from "@stoplight/spectral-core";
import Parsers from "@stoplight/spectral-parsers";
import { oas } from "@stoplight/spectral-rulesets";
import { Ajv2020 } from "ajv/dist/2020.js";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness } from "../testing/harness.ts";

type Op = {
  operationId?: string;
  security?: unknown[];
  parameters?: { $ref?: string }[];
  requestBody?: { content: Record<string, { schema: unknown; example?: unknown }> };
  responses: Record<string, { headers?: Record<string, unknown> }>;
};
type Doc = {
  servers?: { url: string }[];
  paths: Record<string, Record<string, Op>>;
  components: Record<string, unknown>;
};

let text: string;
let doc: Doc;
const ops: { method: string; path: string; op: Op }[] = [];
beforeAll(async () => {
  const h = await createHarness();
  text = await (await h.call("/openapi.json", undefined)).text();
  doc = JSON.parse(text) as Doc;
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) ops.push({ method, path, op });
});

describe("OpenAPI for SDK generators", () => {
  it("passes Spectral's spectral:oas ruleset with no error and no warning", async () => {
    const spectral = new Spectral();
    spectral.setRuleset({ extends: [[oas as never, "recommended"]] } as never);
    const results = await spectral.run(new Document(text, Parsers.Json));
    const findings = results.map(
      (r) => `${r.severity} ${r.code} ${r.path.join(".")}: ${r.message}`,
    );
    expect(findings).toEqual([]);
  });

  it("names every operation once, lists servers and marks public operations", () => {
    expect(ops.length).toBeGreaterThan(50);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.servers?.[0]?.url).toBe("http://localhost");
    for (const { path, op } of ops) {
      if (path.startsWith("/health")) expect(op.security, path).toEqual([]);
      else if (path === "/v1/subscriber" || path.startsWith("/v1/subscriber/"))
        expect(op.security, path).toEqual([{ subscriberToken: [] }]);
      else expect(op.security, path).toEqual([{ bearerAuth: [] }]);
    }
  });

  it("documents the conventions' headers and parameters", () => {
    for (const { method, path, op } of ops) {
      const where = `${method} ${path}`;
      const params = (op.parameters ?? []).map((p) => p.$ref);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.headers?.["X-Request-Id"], `${where} ${status}`).toBeDefined();
        // 401, 413 and 415 are answered before the rate limit runs: they never carry its fields.
        const beforeRateLimit = ["401", "413", "415"].includes(status);
        if (path.startsWith("/v1/") && !beforeRateLimit)
          expect(response.headers?.RateLimit, `${where} ${status}`).toBeDefined();
        if (beforeRateLimit) {
          expect(response.headers?.RateLimit, `${where} ${status}`).toBeUndefined();
          expect(response.headers?.["RateLimit-Policy"], `${where} ${status}`).toBeUndefined();
        }
      }
      if (path.startsWith("/v1/")) {
        expect(op.responses["429"]?.headers?.["Retry-After"], where).toBeDefined();
        expect(op.responses["429"]?.headers?.["RateLimit-Policy"], where).toBeDefined();
      }
      if (op.responses["201"]) expect(op.responses["201"].headers?.Location, where).toBeDefined();
      if (method === "post" && path.startsWith("/v1/")) {
        expect(params, where).toContain("#/components/parameters/IdempotencyKey");
        expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(["409", "422"]));
      }
      if (method === "get" && path.startsWith("/v1/")) {
        expect(params, where).toContain("#/components/parameters/IfNoneMatch");
        expect(op.responses["200"]?.headers?.ETag, where).toBeDefined();
        expect(op.responses["304"], where).toBeDefined();
        expect(op.responses["304"]?.headers?.["Cache-Control"], where).toBeDefined();
      }
      // Unsafe methods on a resource with a GET evaluate If-Match / If-None-Match: 412.
      const hasGet = doc.paths[path]?.get !== undefined;
      if (["put", "patch", "delete"].includes(method) && hasGet && path.startsWith("/v1/")) {
        expect(params, where).toContain("#/components/parameters/IfMatch");
        expect(params, where).toContain("#/components/parameters/IfNoneMatchOnChange");
        expect(op.responses["412"], where).toBeDefined();
      }
      if (op.responses["412"]) expect(params, where).toContain("#/components/parameters/IfMatch");
    }
    const etag = (doc.components.headers as Record<string, { description: string }>).ETag;
    expect(etag?.description).toMatch(/strong/i);
    expect(etag?.description).toMatch(/W\//);
  });

  it("has an example on every request body, valid against the body's schema", () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    let checked = 0;
    for (const { method, path, op } of ops) {
      const media = op.requestBody?.content["application/json"];
      if (!media) continue;
      expect(media.example, `${method} ${path}`).toBeDefined();
      const validate = ajv.compile({
        ...(media.schema as object),
        components: doc.components,
      });
      expect(validate(media.example) ? [] : validate.errors, `${method} ${path}`).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThan(12);
  });

  describe("a client generated with openapi-typescript", () => {
    const dir = mkdtempSync(join(tmpdir(), "gridpulse-sdk-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const typeErrors = (program: string) => {
      writeFileSync(join(dir, "program.ts"), program);
      const compiled = ts.createProgram([join(dir, "program.ts")], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        allowImportingTsExtensions: true,
        lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
        skipLibCheck: true,
      });
      return ts
        .getPreEmitDiagnostics(compiled)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    };

    it("type-checks a program listing, paging and creating against it; a wrong one fails", async () => {
      const ast = await openapiTS(doc as never);
      writeFileSync(join(dir, "gridpulse.ts"), astToString(ast));
      const program = `
import type { operations, paths } from "./gridpulse.ts";

type Json<T> = T extends { content: { "application/json": infer B } } ? B : never;
type SilencePage = Json<operations["listSilences"]["responses"][200]>;
type NewAssessment = Json<NonNullable<paths["/v1/assessments"]["post"]["requestBody"]>>;
type CreateHeaders = NonNullable<operations["createAssessment"]["parameters"]["header"]>;

export async function allSilenceIds(base: string, key: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const url = base + "/v1/silences?limit=100" + (cursor ? "&cursor=" + cursor : "");
    const res = await fetch(url, { headers: { Authorization: "Bearer " + key } });
    const page = (await res.json()) as SilencePage;
    for (const silence of page.data) ids.push(silence.id);
    cursor = page.hasMore ? page.nextCursor : null;
  } while (cursor !== null);
  return ids;
}

export const home: NewAssessment = {
  location: { prefecture: "Attica" },
  buildingType: "apartment",
  constructionYear: 1995,
  heatedFloorAreaM2: 85,
};
export const headers: CreateHeaders = { "Idempotency-Key": "order-42" };
`;
      expect(typeErrors(program)).toEqual([]);
      // The types are strict enough to catch a mistake: a building type the API does not know.
      expect(
        typeErrors(
          `${program}\nexport const wrong: NewAssessment = { ...home, buildingType: "castle" };`,
        ),
      ).not.toEqual([]);
    }, 60_000);
  });
});
