/**
 * `npm run dashboards:generate`: writes the Grafana dashboards (dashboards/grafana/dashboards/*.json)
 * from dev/dashboards/boards, after checking each against the dashboard schema.
 * `--check` writes nothing and fails when a file on disk differs from what would be generated.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { allDashboards } from "./boards/index.ts";
import { dashboardSchema } from "./dashboard-schema.ts";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "dashboards/grafana/dashboards" },
    check: { type: "boolean", default: false },
  },
  strict: true,
});
const outDir = resolve(values.out);

/** The repository's formatter has the last word on JSON layout, so `biome ci` and `--check` agree. */
function formatJson(text: string, path: string): string {
  const result = spawnSync(
    process.execPath,
    ["node_modules/@biomejs/biome/bin/biome", "format", `--stdin-file-path=${path}`],
    { input: text, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`biome format ${path} failed: ${result.stderr}`);
  return result.stdout;
}

const stale: string[] = [];
for (const [file, json] of Object.entries(allDashboards())) {
  const checked = dashboardSchema.safeParse(json);
  if (!checked.success) {
    console.error(`${file}: ${z.prettifyError(checked.error)}`);
    process.exit(1);
  }
  const path = join(outDir, file);
  const text = formatJson(JSON.stringify(json, null, 2), path);
  if (values.check) {
    if (!existsSync(path) || readFileSync(path, "utf8") !== text) stale.push(path);
    continue;
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote ${relative(process.cwd(), path)}`);
}
if (stale.length > 0) {
  console.error(`out of date: ${stale.join(", ")}; run npm run dashboards:generate`);
  process.exit(1);
}
if (values.check) console.log("dashboards are up to date");
