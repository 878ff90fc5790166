import { describe, expect, it } from "vitest";
import webPush from "web-push";
import { ConfigError } from "../core/config/env.ts";
import { loadStreamConfig, loadStreamWorkerConfig } from "./config.ts";

const env = { KAFKA_BROKERS: "localhost:9092" };
const problemsOf = (load: () => unknown) => {
  try {
    load();
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
};
const names = (problems: string[]) => problems.map((p) => p.split(":")[0]);

describe("stream worker configuration at start", () => {
  it("the alert lease must last two ticks, reported beside other invalid variables", () => {
    expect(
      names(
        problemsOf(() =>
          loadStreamConfig({ ...env, STREAM_PORT: "abc", STREAM_ALERT_LEASE_MS: "1500" }),
        ),
      ),
    ).toEqual(["STREAM_PORT", "STREAM_ALERT_LEASE_MS"]);
    expect(
      problemsOf(() =>
        loadStreamConfig({
          ...env,
          STREAM_ALERT_LEASE_MS: "5000",
          STREAM_ALERT_EVAL_INTERVAL_MS: "3000",
        }),
      ),
    ).toEqual([
      "STREAM_ALERT_LEASE_MS: must be at least twice STREAM_ALERT_EVAL_INTERVAL_MS (3000)",
    ]);
    expect(
      loadStreamConfig({
        ...env,
        STREAM_ALERT_LEASE_MS: "6000",
        STREAM_ALERT_EVAL_INTERVAL_MS: "3000",
      }).STREAM_ALERT_LEASE_MS,
    ).toBe(6000);
  });

  it("one error names the worker's, the dispatch stage's and the VAPID problems together", () => {
    const problems = problemsOf(() =>
      loadStreamWorkerConfig({
        ...env,
        STREAM_SESSION_TIMEOUT_MS: "0",
        STREAM_ALERT_LEASE_MS: "1500",
        NOTIFY_LEASE_MS: "1000",
        NOTIFY_PUSH_TTL_S: "abc",
        VAPID_PUBLIC_KEY: webPush.generateVAPIDKeys().publicKey,
      }),
    );
    expect(names(problems)).toEqual([
      "STREAM_SESSION_TIMEOUT_MS",
      "STREAM_ALERT_LEASE_MS",
      "NOTIFY_PUSH_TTL_S",
      "NOTIFY_LEASE_MS",
      "VAPID_PRIVATE_KEY",
    ]);
  });

  it("checks the dispatch stage's variables only where it runs (or STREAM_STAGES is invalid)", () => {
    const bad = { ...env, NOTIFY_LEASE_MS: "1000", VAPID_PUBLIC_KEY: "x" };
    const worker = loadStreamWorkerConfig({ ...bad, STREAM_STAGES: "aggregate,evaluate" });
    expect(worker.notify).toBeUndefined();
    expect(worker.stream.STREAM_STAGES).toEqual(["aggregate", "evaluate"]);
    expect(
      names(problemsOf(() => loadStreamWorkerConfig({ ...bad, STREAM_STAGES: "dispatch" }))),
    ).toEqual(["NOTIFY_LEASE_MS", "VAPID_PRIVATE_KEY"]);
    expect(
      names(problemsOf(() => loadStreamWorkerConfig({ ...bad, STREAM_STAGES: "aggregat" }))),
    ).toEqual(["STREAM_STAGES", "NOTIFY_LEASE_MS", "VAPID_PRIVATE_KEY"]);
    expect(loadStreamWorkerConfig(env).notify?.NOTIFY_LEASE_MS).toBe(60_000);
  });
});

describe("STREAM_LATENCY_THRESHOLDS_MS", () => {
  const thresholds = (value: string) =>
    loadStreamConfig({ ...env, STREAM_LATENCY_THRESHOLDS_MS: value }).STREAM_LATENCY_THRESHOLDS_MS;
  const problems = (value: string) =>
    problemsOf(() => loadStreamConfig({ ...env, STREAM_LATENCY_THRESHOLDS_MS: value }));

  it("takes whole milliseconds from 1 to 600000", () => {
    expect(thresholds(" 100, 250 ,600000")).toEqual([100, 250, 600_000]);
    expect(thresholds("100,250,")).toEqual([100, 250]);
    expect(loadStreamConfig(env).STREAM_LATENCY_THRESHOLDS_MS).toEqual([100, 250, 500, 1000]);
  });

  it("refuses every bad entry instead of dropping it, naming each", () => {
    const [problem, ...rest] = problems("abc,-5,250,0,1.5,1e3,600001");
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^STREAM_LATENCY_THRESHOLDS_MS: /);
    for (const entry of ['"abc"', '"-5"', '"0"', '"1.5"', '"1e3"', '"600001"']) {
      expect(problem).toContain(entry);
    }
    expect(problem).not.toContain('"250"');
    expect(problems("abc")).toEqual([
      expect.stringMatching(/^STREAM_LATENCY_THRESHOLDS_MS: .*"abc"/),
    ]);
    expect(problems(",,")).toEqual([
      expect.stringMatching(/^STREAM_LATENCY_THRESHOLDS_MS: must list at least one/),
    ]);
  });
});

describe("STREAM_INGEST_TOKEN", () => {
  it("refuses a token the ingest route could never match, naming it but not echoing it", () => {
    const found = problemsOf(() =>
      loadStreamConfig({ ...env, STREAM_INGEST_TOKEN: "correct horse battery staple" }),
    );
    expect(found).toEqual([
      expect.stringMatching(/^STREAM_INGEST_TOKEN: may contain only letters/),
    ]);
    expect(found.join()).not.toContain("horse");
    expect(
      loadStreamConfig({ ...env, STREAM_INGEST_TOKEN: "ingest-token-0123456789" })
        .STREAM_INGEST_TOKEN,
    ).toBe("ingest-token-0123456789");
  });
});
