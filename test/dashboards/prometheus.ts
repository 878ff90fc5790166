/**
 * A real Prometheus (Debian's `prometheus` binary) for integration tests: gridpulse's own
 * dashboards/prometheus/prometheus.yml with the targets pointed at the test's processes, a short scrape
 * and evaluation interval, the given rule files, a temporary data directory and a loopback port.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { freePort, waitFor } from "../../dev/net.ts";
import { type CommandProcess, repoRoot, startCommand } from "../support/processes.ts";

export interface PrometheusOptions {
  /** host:port per job name of dashboards/prometheus/prometheus.yml. */
  targets: Record<string, string>;
  ruleFiles: string[];
  intervalS?: number;
  /** Target labels to set per job (e.g. the API's SERVICE_NAME as `service`). */
  labels?: Record<string, Record<string, string>>;
}

export interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface TestPrometheus {
  url: string;
  stop(): Promise<void>;
  query(expr: string, timeS?: number): Promise<Sample[]>;
  queryRange(expr: string, startS: number, endS: number, stepS: number): Promise<Sample[]>;
  output(): string;
}

export function promtool(args: string[]) {
  const result = spawnSync("promtool", args, { cwd: repoRoot, encoding: "utf8" });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

async function api(url: string, path: string, params: Record<string, string>): Promise<Sample[]> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    errorType?: string;
    data?: { resultType: string; result: Sample[] | [number, string] };
  };
  if (body.status !== "success")
    throw new Error(`${params.query}: ${body.errorType ?? res.status} ${body.error ?? ""}`);
  const result = body.data?.result;
  if (body.data?.resultType === "scalar")
    return [{ metric: {}, value: result as [number, string] }];
  return result as Sample[];
}

export async function startPrometheus(options: PrometheusOptions): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "gridpulse-prometheus-"));
  const interval = `${options.intervalS ?? 1}s`;
  const config = parse(
    readFileSync(join(repoRoot, "dashboards/prometheus/prometheus.yml"), "utf8"),
  ) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: {
      job_name: string;
      static_configs: { targets: string[]; labels?: Record<string, string> }[];
    }[];
  };
  config.global.scrape_interval = interval;
  config.global.evaluation_interval = interval;
  config.rule_files = options.ruleFiles;
  for (const job of config.scrape_configs) {
    const target = options.targets[job.job_name];
    if (!target) throw new Error(`no target for job ${job.job_name}`);
    for (const sc of job.static_configs) {
      sc.targets = [target];
      sc.labels = { ...sc.labels, ...options.labels?.[job.job_name] };
    }
  }
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: CommandProcess;
  try {
    proc = await startCommand(
      "prometheus",
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { env: {}, url, readyPath: "/-/ready", readyTimeoutMs: 30_000 },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const prometheus: TestPrometheus = {
    url,
    output: proc.output,
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    query: (expr, timeS) =>
      api(url, "/api/v1/query", {
        query: expr,
        ...(timeS === undefined ? {} : { time: String(timeS) }),
      }),
    queryRange: (expr, startS, endS, stepS) =>
      api(url, "/api/v1/query_range", {
        query: expr,
        start: String(startS),
        end: String(endS),
        step: String(stepS),
      }),
  };
  return prometheus;
}

/** Waits until every job's target is up. */
export async function waitForTargets(prometheus: TestPrometheus, jobs: string[]) {
  await waitFor(
    `Prometheus to scrape ${jobs.join(", ")}`,
    async () => {
      const up = await prometheus.query("up == 1");
      return jobs.every((job) => up.some((s) => s.metric.job === job));
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}
