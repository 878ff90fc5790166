/**
 * The lint rule that keeps the dependency direction `api -> core <- stream`, with `platform/` (the
 * Node-only adapters) between api/stream and core (biome.json overrides of noRestrictedImports):
 * imports across the line fail `biome lint`, allowed ones pass. core has no `*.node.ts` exemption.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/processes.ts";

/**
 * Writes `source` where `path` would be (inside a throwaway folder at the same depth, so relative
 * imports resolve alike) and lints it with the repository's configuration.
 */
function lint(path: string, source: string) {
  const [top, ...rest] = path.split("/");
  const probeDir = join(repoRoot, top as string, `lint-probe-${randomUUID().slice(0, 8)}`);
  const file = join(probeDir, ...rest.slice(1));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, source);
  try {
    const result = spawnSync(
      process.execPath,
      ["node_modules/@biomejs/biome/bin/biome", "lint", file],
      {
        cwd: repoRoot,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"], // a piped stdin would switch biome into stdin mode
      },
    );
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}

describe("dependency direction", () => {
  it.each([
    [
      "core/energy/model.ts",
      'import { createApp } from "../../api/app.ts";\nexport const x = createApp;\n',
    ],
    [
      "core/energy/model.ts",
      'import { loadStreamConfig } from "../../stream/config.ts";\nexport const x = loadStreamConfig;\n',
    ],
    [
      "core/energy/model.ts",
      'import { readFileSync } from "node:fs";\nexport const x = readFileSync;\n',
    ],
    ["core/energy/model.ts", 'import { Kafka } from "kafkajs";\nexport const x = Kafka;\n'],
    ["core/kafka/extra.node.ts", 'import { Kafka } from "kafkajs";\nexport const x = Kafka;\n'],
    ["core/db/x.node.ts", 'import Database from "libsql";\nexport const x = Database;\n'],
    [
      "core/energy/model.ts",
      'import { serveNode } from "../../platform/serve.ts";\nexport const x = serveNode;\n',
    ],
    [
      "platform/x/y.ts",
      'import { createApp } from "../../api/app.ts";\nexport const x = createApp;\n',
    ],
    [
      "platform/x/y.ts",
      'import { loadStreamConfig } from "../../stream/config.ts";\nexport const x = loadStreamConfig;\n',
    ],
    [
      "api/routes/x.ts",
      'import { loadStreamConfig } from "../../stream/config.ts";\nexport const x = loadStreamConfig;\n',
    ],
    [
      "stream/x/y.ts",
      'import { createApp } from "../../api/app.ts";\nexport const x = createApp;\n',
    ],
  ])("rejects %s importing across the line (%#)", (path, source) => {
    const result = lint(path, source);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("noRestrictedImports");
  });

  it.each([
    [
      "api/routes/x.ts",
      'import { topics } from "../../core/events/topics.ts";\nexport const x = topics;\n',
    ],
    [
      "stream/x/y.ts",
      'import { topics } from "../../core/events/topics.ts";\nexport const x = topics;\n',
    ],
    [
      "stream/x/y.ts",
      'import { createKafka } from "../../platform/kafka.ts";\nexport const x = createKafka;\n',
    ],
    [
      "platform/x/y.ts",
      'import { topics } from "../../core/events/topics.ts";\nexport const x = topics;\n',
    ],
    [
      "core/energy/model.test.ts",
      'import { openDatabase } from "../../platform/db/open.ts";\nexport const x = openDatabase;\n',
    ],
    ["core/energy/model.ts", 'import { z } from "zod";\nexport const x = z;\n'],
  ])("allows %s", (path, source) => {
    const result = lint(path, source);
    expect(result.output).not.toContain("noRestrictedImports");
    expect(result.ok, result.output).toBe(true);
  });
});
