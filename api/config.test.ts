import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { loadApiConfig } from "./config.ts";

describe("API settings on Node", () => {
  it("ASSESSMENT_WORKER_THREADS: one less than the cores by default (1–4), 0 for in process", () => {
    const byDefault = loadApiConfig({}).ASSESSMENT_WORKER_THREADS;
    expect(byDefault).toBe(Math.max(1, Math.min(4, availableParallelism() - 1)));
    expect(loadApiConfig({ ASSESSMENT_WORKER_THREADS: "0" }).ASSESSMENT_WORKER_THREADS).toBe(0);
    expect(loadApiConfig({ ASSESSMENT_WORKER_THREADS: "8" }).ASSESSMENT_WORKER_THREADS).toBe(8);
    expect(() => loadApiConfig({ ASSESSMENT_WORKER_THREADS: "-1" })).toThrow(
      /ASSESSMENT_WORKER_THREADS: must be at least 0/,
    );
    expect(() => loadApiConfig({ ASSESSMENT_WORKER_THREADS: "1.5" })).toThrow(
      /ASSESSMENT_WORKER_THREADS: must be an integer/,
    );
    expect(() => loadApiConfig({ ASSESSMENT_WORKER_THREADS: "many" })).toThrow(
      /ASSESSMENT_WORKER_THREADS: must be a number of threads/,
    );
  });

  it("METRICS_TOKEN: refused when no Authorization header could carry it, without echoing it", () => {
    expect(loadApiConfig({ METRICS_TOKEN: "metrics-token-0123456789" }).METRICS_TOKEN).toBe(
      "metrics-token-0123456789",
    );
    let message = "";
    try {
      loadApiConfig({ METRICS_TOKEN: "s3cret!metrics#token" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/METRICS_TOKEN: may contain only letters, digits/);
    expect(message).not.toContain("s3cret");
  });
});
