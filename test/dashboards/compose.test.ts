/**
 * docker-compose.yml without a Docker engine: the compose-spec schema and lint rules of dclint (npm),
 * plus the cross-references a schema cannot see: dependencies and named volumes exist, mounted files
 * are in the repository, every long-running service has a health check, and Prometheus in the stack
 * scrapes the API and stream containers on the ports they listen on.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../support/processes.ts";

// Ordering rules are style only; the file is ordered by layer (infrastructure, tools, services).
const styleRules = [
  "services-alphabetical-order",
  "service-keys-order",
  "top-level-properties-order",
  // Flags quoted "host:port:port" entries on some runs; quoting style, not the compose schema.
  "require-quotes-in-ports",
];

function dclint(file: string) {
  const result = spawnSync(
    process.execPath,
    [
      "node_modules/dclint/bin/dclint.cjs",
      file,
      "--max-warnings",
      "0",
      "--color",
      "false",
      ...styleRules.flatMap((r) => ["--disable-rule", r]),
    ],
    { cwd: repoRoot, encoding: "utf8" },
  );
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

interface Service {
  image?: string;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  restart?: string;
  environment?: Record<string, string>;
}
const compose = parse(readFileSync(join(repoRoot, "docker-compose.yml"), "utf8"), {
  merge: true,
}) as { services: Record<string, Service>; volumes: Record<string, unknown> };

describe("docker-compose.yml", () => {
  it("passes the compose schema and lint rules (dclint)", () => {
    const result = dclint("docker-compose.yml");
    expect(result.output).not.toMatch(/error|warning/);
    expect(result.ok).toBe(true);
  });

  it("dclint rejects a file that breaks the compose schema", () => {
    const broken = join(tmpdir(), `compose-broken-${process.pid}.yml`);
    writeFileSync(
      broken,
      readFileSync(join(repoRoot, "docker-compose.yml"), "utf8").replace(
        "condition: service_healthy",
        "condition: healthy_enough",
      ),
    );
    const result = dclint(broken);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/invalid-schema/);
  });

  it("runs the whole stack: Kafka (KRaft), libSQL, API, stream worker, Prometheus, Grafana", () => {
    const images = Object.fromEntries(
      Object.entries(compose.services).map(([name, s]) => [name, s.image]),
    );
    expect(images.kafka).toMatch(/^apache\/kafka:\d/);
    expect(compose.services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe("broker,controller");
    expect(images.libsql).toMatch(/^ghcr\.io\/tursodatabase\/libsql-server:/);
    expect(images.prometheus).toMatch(/^prom\/prometheus:v2\./);
    expect(images.grafana).toMatch(/^grafana\/grafana:\d/);
    expect(compose.services.api).toBeDefined();
    expect(compose.services.stream).toBeDefined();
  });

  it("refers only to services, named volumes and repository files that exist", () => {
    const problems: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      for (const dep of Object.keys(service.depends_on ?? {}))
        if (!compose.services[dep]) problems.push(`${name} depends on unknown ${dep}`);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(":")[0] as string;
        if (source.startsWith(".")) {
          if (!existsSync(join(repoRoot, source)))
            problems.push(`${name} mounts missing ${source}`);
        } else if (!(source in compose.volumes)) problems.push(`${name} uses undeclared ${source}`);
      }
      const oneShot = service.restart === "no";
      if (!oneShot && !service.healthcheck) problems.push(`${name} has no health check`);
    }
    expect(problems).toEqual([]);
  });

  it("scrapes the API and stream containers on the ports they listen on", () => {
    const prometheus = parse(
      readFileSync(join(repoRoot, "dashboards/prometheus/prometheus.compose.yml"), "utf8"),
    ) as { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    const targets = Object.fromEntries(
      prometheus.scrape_configs.map((j) => [j.job_name, j.static_configs[0]?.targets[0]]),
    );
    const api = compose.services.api?.environment ?? {};
    const stream = compose.services.stream?.environment ?? {};
    expect(targets["gridpulse-api"]).toBe(`api:${api.API_METRICS_PORT}`);
    expect(api.API_METRICS_HOST).toBe("0.0.0.0");
    expect(targets["gridpulse-stream"]).toBe(`stream:${stream.STREAM_PORT}`);
    expect(stream.STREAM_HOST).toBe("0.0.0.0");
  });
});
