import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  checkLinks,
  checkNamedPaths,
  compareEnv,
  type DocFile,
  documentedVariables,
  envReads,
  extractLinks,
  headingAnchors,
  schemaKeys,
  shellReads,
} from "./docs-check.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const exists = (path: string) => existsSync(join(root, path));

const linkTargetExists = exists;

/**
 * Tracked files plus new ones git does not ignore (so a doc is checked before its first commit);
 * without git (an exported tree), every file outside dependencies and local state.
 */
function listRepositoryFiles(): string[] {
  try {
    return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
      cwd: root,
      encoding: "utf8",
    }).split("\n");
  } catch {
    const skipped = /^(node_modules|\.git|data|\.cache|test-output)(\/|$)/;
    return readdirSync(root, { recursive: true, encoding: "utf8" })
      .map((path) => path.split(sep).join("/"))
      .filter((path) => !skipped.test(path));
  }
}

const repositoryFiles = listRepositoryFiles().filter(
  (path) => path !== "" && exists(path) && statSync(join(root, path)).isFile(),
);

const markdown: DocFile[] = repositoryFiles
  .filter((path) => path.endsWith(".md"))
  .map((path) => ({ path, text: read(path) }));

/** The modules that declare environment schemas; a new one is found by its import of core/config/env. */
const configModules = [
  "core/config/env.ts",
  "api/settings.ts",
  "api/config.ts",
  "api/worker.ts",
  "stream/config.ts",
  "stream/notify/config.ts",
  "dev/config.ts",
];

function variablesTheCodeReads(): Set<string> {
  const names = new Set<string>();
  // dev/docs holds this checker and its fixtures, which name made-up variables.
  const sources = repositoryFiles.filter(
    (p) => /\.(ts|mjs|js)$/.test(p) && !p.endsWith(".generated.ts") && !p.startsWith("dev/docs/"),
  );
  for (const path of sources) {
    const source = read(path);
    const isTest = path.startsWith("test/") || path.endsWith(".test.ts");
    // Tests build `env` objects for child processes and read compose files' `environment`: only their
    // `process.env` reads are their own settings.
    for (const name of envReads(source, { bareEnv: !isTest })) names.add(name);
    if (
      !isTest &&
      (configModules.includes(path) || /from "[./]*(core\/)?config\/env\.ts"/.test(source))
    ) {
      for (const name of schemaKeys(source)) names.add(name);
    }
  }
  for (const path of repositoryFiles.filter((p) => p.endsWith(".sh"))) {
    for (const name of shellReads(read(path))) names.add(name);
  }
  return names;
}

describe("docs", () => {
  it("finds the markdown files and the configuration reference", () => {
    expect(markdown.length).toBeGreaterThan(8);
    expect(markdown.map((f) => f.path)).toEqual(
      expect.arrayContaining(["README.md", "docs/configuration.md", "docs/architecture.md"]),
    );
  });

  it("every relative link resolves to a file, and every anchor to a heading", () => {
    const links = markdown.flatMap((f) => extractLinks(f.text));
    expect(links.length).toBeGreaterThan(50);
    expect(checkLinks(markdown, linkTargetExists)).toEqual([]);
  });

  it("every file path the prose names in code exists", () => {
    let checked = 0;
    const counted = (path: string) => {
      checked++;
      return exists(path);
    };
    expect(checkNamedPaths(markdown, counted)).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it("no document points outside the repository", () => {
    const outside = ["..", "shared"].join("/");
    const offenders = markdown.filter((f) => f.text.includes(outside) || f.text.includes("/work/"));
    expect(offenders.map((f) => f.path)).toEqual([]);
  });

  it("every environment variable the code reads is in docs/configuration.md, and only those", () => {
    for (const module of configModules) {
      expect(exists(module), `${module} moved: update configModules`).toBe(true);
      expect(schemaKeys(read(module)).size, `${module} declares no variables`).toBeGreaterThan(2);
    }
    const code = variablesTheCodeReads();
    // A broken scan must not pass silently: the code reads well over a hundred variables.
    expect(code.size).toBeGreaterThan(100);
    for (const known of [
      "PORT",
      "DATABASE_URL",
      "STREAM_STAGES",
      "NOTIFY_LEASE_MS",
      "OTEL_SDK_DISABLED",
    ]) {
      expect(code).toContain(known);
    }
    const documented = documentedVariables(read("docs/configuration.md"));
    expect(documented.size).toBeGreaterThan(100);
    expect(compareEnv(code, documented)).toEqual({ undocumented: [], unknown: [] });
  });
  it("fails on the real files when a variable is dropped from the reference or added to the code", () => {
    const code = variablesTheCodeReads();
    const reference = read("docs/configuration.md");
    const dropped = reference
      .split("\n")
      .filter((line) => !line.startsWith("| `STREAM_ALERT_LEASE_MS`"))
      .join("\n");
    expect(compareEnv(code, documentedVariables(dropped))).toEqual({
      undocumented: ["STREAM_ALERT_LEASE_MS"],
      unknown: [],
    });
    const stale = `${reference}\n| \`GRIDPULSE_RETIRED_SETTING\` | — | — |\n`;
    expect(compareEnv(code, documentedVariables(stale)).unknown).toEqual([
      "GRIDPULSE_RETIRED_SETTING",
    ]);
    const config = read("stream/config.ts").replace(
      "  STREAM_PORT: portVar(9464),",
      "  STREAM_PORT: portVar(9464),\n  GRIDPULSE_DOCS_PROBE_MS: positiveIntVar(1, 64),",
    );
    expect(config).toContain("GRIDPULSE_DOCS_PROBE_MS");
    const withNewSetting = new Set([...code, ...schemaKeys(config)]);
    expect(compareEnv(withNewSetting, documentedVariables(reference)).undocumented).toEqual([
      "GRIDPULSE_DOCS_PROBE_MS",
    ]);
  });
});

describe("the checkers fail on bad input", () => {
  const guide: DocFile = {
    path: "docs/guide.md",
    text: [
      "# Guide",
      "## Running it",
      "See [config](configuration.md#the-api), [up](../README.md), [here](#running-it).",
      "[gone](missing.md) and [bad anchor](configuration.md#nowhere) and [self](#nope).",
      "`[not a link](nothing.md)`",
      "```",
      "[in a fence](fenced.md)",
      "```",
      "[ref]: ./configuration.md",
      "Paths: `stream/notify/dispatcher.ts`, `core/db/migrations/0004_market_events.sql`, `api/<name>/`.",
    ].join("\n"),
  };
  const configuration: DocFile = {
    path: "docs/configuration.md",
    text: "# Configuration\n\n## The API\n\n| variable | default |\n| --- | --- |\n| `PORT` | `8787` |\n| `HOST` / `REGION` | — |\n",
  };
  const files = [
    "README.md",
    "docs/guide.md",
    "docs/configuration.md",
    "stream/notify/dispatcher.ts",
  ];
  const fixtureExists = (path: string) => files.includes(path);

  it("reports broken links and anchors, and nothing in code", () => {
    const problems = checkLinks([guide, configuration], fixtureExists).map(
      (p) => `${p.line}: ${p.message}`,
    );
    expect(problems).toEqual([
      "4: broken link missing.md (docs/missing.md)",
      "4: no heading for anchor configuration.md#nowhere",
      "4: no heading for anchor #nope",
    ]);
  });

  it("computes GitHub heading anchors", () => {
    const anchors = headingAnchors(
      "# The `dispatch` stage (webhooks)\n## Tests\n## Tests\n## Näive: 1.5 x\n",
    );
    expect([...anchors]).toEqual(["the-dispatch-stage-webhooks", "tests", "tests-1", "näive-15-x"]);
  });

  it("reports named paths that do not exist", () => {
    expect(checkNamedPaths([guide], fixtureExists).map((p) => p.message)).toEqual([
      "names core/db/migrations/0004_market_events.sql, which does not exist",
    ]);
  });

  it("finds variables read in code, in schemas and in scripts", () => {
    const source = [
      'const a = process.env.ALPHA ?? "x"; const b = env.BETA_MS; const c = process.env["GAMMA"];',
      'process.env.SET_NOT_READ = "1"; if (process.env.DELTA === "1") {}',
      "const { EPSILON, ZETA_S: z } = process.env;",
    ].join("\n");
    expect([...envReads(source)].sort()).toEqual([
      "ALPHA",
      "BETA_MS",
      "DELTA",
      "EPSILON",
      "GAMMA",
      "ZETA_S",
    ]);
    expect([...envReads(source, { bareEnv: false })]).not.toContain("BETA_MS");
    expect([
      ...schemaKeys("z.object({\n  PORT: portVar(8787),\n  NEW_SETTING_MS: positiveIntVar(5),\n})"),
    ]).toEqual(["PORT", "NEW_SETTING_MS"]);
    expect(
      [...shellReads(`url="$\{DATABASE_URL:-}"\nexport OWN=1\necho "$OWN $PORT $HOME"`)].sort(),
    ).toEqual(["DATABASE_URL", "PORT"]);
  });

  it("fails when a variable the code reads is missing from the reference, or the reverse", () => {
    const documented = documentedVariables(configuration.text);
    expect([...documented].sort()).toEqual(["HOST", "PORT", "REGION"]);
    const code = schemaKeys(
      "z.object({\n  PORT: portVar(8787),\n  HOST: z.string(),\n  NEW_SETTING_MS: x,\n})",
    );
    expect(compareEnv(code, documented)).toEqual({
      undocumented: ["NEW_SETTING_MS"],
      unknown: ["REGION"],
    });
  });
});
