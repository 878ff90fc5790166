/**
 * docker-compose.yml without a Docker engine: the compose-spec schema and lint rules of dclint (npm),
 * plus the cross-references a schema cannot see: dependencies and named volumes exist, mounted files
 * are in the repository, every long-running service has a health check, and Prometheus in the stack
 * scrapes the API and stream containers on the ports they listen on. First run from a fresh clone:
 * an install service fills the node_modules volume before anything uses it, whose mount point never
 * lies inside a read-only bind mount; Kafka has a listener for host clients; secrets come from the
 * git-ignored env file, never from the compose file; the Node image is the version package.json pins.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
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
  command?: string[];
  volumes?: string[];
  ports?: string[];
  env_file?: (string | { path: string; required?: boolean })[];
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

  it("mounts every repository folder a Node service's entry imports", () => {
    // The relative-import closure of each `node <entry>.ts` command, as top-level folders.
    const closure = (entry: string): Set<string> => {
      const seen = new Set<string>();
      const todo = [resolve(repoRoot, entry)];
      for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
        if (seen.has(file) || !existsSync(file)) continue;
        seen.add(file);
        const text = readFileSync(file, "utf8");
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+\.ts)"/g))
          todo.push(resolve(dirname(file), m[1] as string));
      }
      return new Set([...seen].map((f) => relative(repoRoot, f).split("/")[0] as string));
    };
    const problems: string[] = [];
    let checked = 0;
    for (const [name, service] of Object.entries(compose.services)) {
      const entry = (service.command ?? []).find((a) => a.endsWith(".ts"));
      if (service.command?.[0] !== "node" || entry === undefined) continue;
      checked++;
      const mounted = new Set(
        (service.volumes ?? []).map((v) => v.split(":")[0]?.replace(/^\.\//, "") as string),
      );
      for (const folder of closure(entry))
        if (!mounted.has(folder))
          problems.push(`${name} (${entry}) imports ${folder}/ but does not mount it`);
    }
    expect(checked).toBeGreaterThanOrEqual(3);
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

  it("installs node_modules first, into a volume whose mount point is not inside a read-only bind", () => {
    const problems: string[] = [];
    const installers = Object.entries(compose.services).filter(
      ([, s]) => s.restart === "no" && (s.command ?? []).join(" ").startsWith("npm ci"),
    );
    expect(installers.map(([name]) => name)).toEqual(["deps"]);
    const usesModules = (s: Service) =>
      (s.volumes ?? []).some((v) => v.startsWith("node-modules:/app/node_modules"));
    expect(usesModules(compose.services.deps as Service)).toBe(true);
    for (const [name, service] of Object.entries(compose.services)) {
      const mounts = (service.volumes ?? []).map((v) => {
        const [source, target, mode] = v.split(":") as [string, string, string | undefined];
        return { source, target, readOnly: mode === "ro", bind: source.startsWith(".") };
      });
      // Docker creates a mount point inside an outer mount; in a read-only bind it cannot.
      for (const inner of mounts)
        for (const outer of mounts)
          if (outer.bind && outer.readOnly && inner.target.startsWith(`${outer.target}/`))
            problems.push(`${name}: ${inner.target} lies inside the read-only ${outer.source}`);
      if (name !== "deps" && usesModules(service)) {
        if (service.depends_on?.deps?.condition !== "service_completed_successfully")
          problems.push(`${name} does not wait for deps`);
      }
    }
    expect(problems).toEqual([]);
    expect(compose.services.api?.depends_on?.deps).toBeDefined();
    expect(compose.services.stream?.depends_on?.deps).toBeDefined();
  });

  it("runs the Node image of the version package.json pins", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const pinned = pkg.dependencies.node as string;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const nodeImages = Object.values(compose.services)
      .map((s) => s.image ?? "")
      .filter((image) => image.startsWith("node:"));
    expect(nodeImages.length).toBeGreaterThan(0);
    for (const image of nodeImages) expect(image).toMatch(new RegExp(`^node:${pinned}(-|$)`));
  });

  it("gives host clients a Kafka listener of their own, published on loopback", () => {
    const kafka = compose.services.kafka as Service;
    const env = kafka.environment ?? {};
    const entries = (text = "") =>
      text.split(",").map((l) => {
        const [, name, host, port] = /^(\w+):\/\/([^:]*):(\d+)$/.exec(l) ?? [];
        return { name, host, port };
      });
    const listeners = entries(env.KAFKA_LISTENERS);
    const advertised = entries(env.KAFKA_ADVERTISED_LISTENERS);
    const protocols = Object.fromEntries(
      (env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? "").split(",").map((p) => p.split(":")),
    );
    // Containers: the broker as `kafka`, on the port the Node services are given.
    const internal = advertised.find((l) => l.host === "kafka");
    const nodeBrokers = compose.services.api?.environment?.KAFKA_BROKERS;
    expect(nodeBrokers).toBe(`kafka:${internal?.port}`);
    // The host: a separate listener advertised as localhost, its port published on 127.0.0.1.
    const host = advertised.find((l) => l.host === "localhost" || l.host === "127.0.0.1");
    expect(host).toBeDefined();
    expect(host?.name).not.toBe(internal?.name);
    expect(listeners.find((l) => l.name === host?.name)?.port).toBe(host?.port);
    expect(protocols[host?.name as string]).toBe("PLAINTEXT");
    for (const l of listeners) expect(protocols[l.name as string], l.name).toBeDefined();
    expect(kafka.ports).toContain(`127.0.0.1:${host?.port}:${host?.port}`);
  });

  it("takes secrets from the git-ignored env file, none written in the compose file", () => {
    const secretName = /PASSWORD|TOKEN|SECRET|PRIVATE|CREDENTIAL/i;
    const inline = Object.entries(compose.services).flatMap(([name, s]) =>
      Object.keys(s.environment ?? {})
        .filter((k) => secretName.test(k))
        .map((k) => `${name}.${k}`),
    );
    expect(inline).toEqual([]);
    for (const name of ["api", "stream", "grafana"]) {
      const files = (compose.services[name]?.env_file ?? []).map((f) =>
        typeof f === "string" ? f : f.path,
      );
      expect(files, name).toContain(".env");
    }
    const ignored = spawnSync("git", ["check-ignore", "-q", ".env"], { cwd: repoRoot });
    expect(ignored.status).toBe(0);
    // The example names what the secrets are and sets none of them.
    const example = readFileSync(join(repoRoot, ".env.example"), "utf8");
    for (const key of ["GF_SECURITY_ADMIN_PASSWORD", "STREAM_INGEST_TOKEN"])
      expect(example).toContain(key);
    const set = example.split("\n").filter((l) => /^\s*[A-Z_]+=\S/.test(l));
    expect(set).toEqual([]);
  });
});
