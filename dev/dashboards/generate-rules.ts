/**
 * `npm run rules:generate`: writes the Prometheus SLO rules and their promtool tests from the SLO file
 * (default dashboards/slos.yaml) and, with `--database URL`, from the SLOs stored in a gridpulse
 * database (all tenants, or `--tenant ID`) using the file's Prometheus sources.
 * `--check` writes nothing and fails when the files on disk differ from what would be generated.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { renderRules, slosFromDatabase } from "./rules-output.ts";
import { parseSloFile } from "./slo-file.ts";

const usage = `usage: npm run rules:generate -- [--slos dashboards/slos.yaml] [--database URL [--tenant ID]]
                              [--out dashboards/prometheus/rules/slos.rules.yml]
                              [--tests-out dashboards/prometheus/tests/slos.test.yml] [--check]`;

const { values } = parseArgs({
  options: {
    slos: { type: "string", default: "dashboards/slos.yaml" },
    database: { type: "string" },
    tenant: { type: "string" },
    out: { type: "string", default: "dashboards/prometheus/rules/slos.rules.yml" },
    "tests-out": { type: "string", default: "dashboards/prometheus/tests/slos.test.yml" },
    check: { type: "boolean", default: false },
    help: { type: "boolean" },
  },
  strict: true,
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const slosPath = resolve(values.slos);
const file = parseSloFile(readFileSync(slosPath, "utf8"), slosPath);
for (const w of file.warnings) console.warn(`warning: ${w}`);
let slos = file.slos;
if (values.database) {
  const stored = await slosFromDatabase(values.database, {
    authToken: process.env.DATABASE_AUTH_TOKEN,
    tenantId: values.tenant,
  });
  slos = [...slos, ...stored];
  console.log(`${stored.length} SLOs from the database`);
}
const out = resolve(values.out);
const testsOut = resolve(values["tests-out"]);
const command = values.database
  ? "npm run rules:generate -- --database <url>"
  : "npm run rules:generate";
const rendered = renderRules(
  { sources: file.sources, slos },
  { command, testRuleFile: relative(dirname(testsOut), out) },
);
for (const s of rendered.skipped) console.warn(`skipped: ${s}`);

if (values.check) {
  const stale = [
    [out, rendered.rules],
    [testsOut, rendered.tests],
  ].filter(
    ([path, text]) => !existsSync(path as string) || readFileSync(path as string, "utf8") !== text,
  );
  if (stale.length > 0) {
    console.error(`out of date: ${stale.map(([p]) => p).join(", ")}; run npm run rules:generate`);
    process.exit(1);
  }
  console.log("rules are up to date");
} else {
  for (const [path, text] of [
    [out, rendered.rules],
    [testsOut, rendered.tests],
  ] as const) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${relative(process.cwd(), path)}`);
  }
  console.log(
    `${slos.length - rendered.skipped.filter((s) => !s.startsWith("tests ")).length} SLOs`,
  );
}
