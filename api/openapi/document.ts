/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests, and a small
 * self-contained HTML page listing the operations (no external assets: it works offline).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import { applyConventions, type OpenApiDoc } from "./conventions.ts";

export function openApiDocument(app: OpenAPIHono<AppEnv>, version: string, serverUrl: string) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key (`gp_…`) created with `npm run tenant:create` or `POST /v1/api-keys`.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "subscriberToken", {
    type: "http",
    scheme: "bearer",
    description:
      "A subscriber token (`gps_…`) from `POST /v1/subscriber-tokens`: only the `/v1/subscriber` routes take it.",
  });
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "gridpulse API",
      version,
      description:
        "Building energy assessments, benchmarks, latency, SLO and alert state. Errors are " +
        "`{ error: { code, message, details? } }`; every response carries `X-Request-Id`. Lists " +
        "page with `limit` and `cursor` (`{ data, hasMore, nextCursor }`); POSTs accept an " +
        "`Idempotency-Key`; GETs answer `If-None-Match` with 304.",
    },
  });
  applyConventions(doc as unknown as OpenApiDoc, serverUrl);
  return doc;
}

type Doc = ReturnType<typeof openApiDocument>;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] as string,
  );

export function docsPage(doc: Doc): string {
  const rows: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(
      item as Record<
        string,
        { summary?: string; security?: unknown[]; responses?: Record<string, unknown> }
      >,
    )) {
      if (!op || typeof op !== "object" || !("responses" in op)) continue;
      const statuses = Object.keys(op.responses ?? {}).join(" ");
      rows.push(
        `<tr><td class="m ${method}">${method.toUpperCase()}</td><td><code>${escapeHtml(path)}</code></td>` +
          `<td>${escapeHtml(op.summary ?? "")}</td><td>${op.security?.length ? "API key" : "—"}</td><td>${statuses}</td></tr>`,
      );
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>gridpulse API</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}
.m{font-weight:600;font-family:monospace}.get{color:#0a7}.post{color:#06c}.put,.patch{color:#a60}.delete{color:#c22}</style></head>
<body><h1>gridpulse API <small>${escapeHtml(doc.info.version)}</small></h1><p>${escapeHtml(doc.info.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer gp_…</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Auth</th><th>Responses</th></tr></thead><tbody>${rows.join("")}</tbody></table></body></html>`;
}

/** The CSP of the Scalar page: this origin only (styles inline, as the bundle injects them). */
export const scalarCsp =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
  "img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Starts Scalar on /openapi.json: no default fonts (a CDN), no hosted proxy, no telemetry. */
export const scalarInit = `Scalar.createApiReference("#app", {
  url: "/openapi.json",
  withDefaultFonts: false,
  proxyUrl: "",
  telemetry: false,
  hideClientButton: true,
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: "never",
});
`;

export function scalarPage(doc: Doc): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>gridpulse API ${escapeHtml(doc.info.version)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body><div id="app"></div><script src="/docs/scalar.js"></script><script src="/docs/init.js"></script></body></html>`;
}
