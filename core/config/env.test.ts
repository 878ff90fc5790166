import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  bearerTokenVar,
  booleanVar,
  ConfigError,
  databaseUrlVar,
  kafkaBrokersVar,
  parseEnv,
  portVar,
  topicPrefixVar,
} from "./env.ts";

const schema = z.object({
  PORT: portVar(8787),
  DATABASE_URL: databaseUrlVar.default("file:./data/x.db"),
  KAFKA_BROKERS: kafkaBrokersVar,
  KAFKA_TOPIC_PREFIX: topicPrefixVar,
  FLAG: booleanVar(false),
});

describe("parseEnv", () => {
  it("applies defaults and treats blank values as unset", () => {
    const config = parseEnv("test", schema, { PORT: "", UNRELATED: "x" });
    expect(config).toEqual({
      PORT: 8787,
      DATABASE_URL: "file:./data/x.db",
      KAFKA_BROKERS: undefined,
      KAFKA_TOPIC_PREFIX: "",
      FLAG: false,
    });
  });

  it("coerces and splits values", () => {
    const config = parseEnv("test", schema, {
      PORT: "9000",
      KAFKA_BROKERS: " a:9092, b.example:19092 ",
      FLAG: "yes",
      DATABASE_URL: "libsql://db.example.turso.io",
    });
    expect(config.PORT).toBe(9000);
    expect(config.KAFKA_BROKERS).toEqual(["a:9092", "b.example:19092"]);
    expect(config.FLAG).toBe(true);
  });

  it("reports every bad variable by name at once", () => {
    let error: unknown;
    try {
      parseEnv("api", schema, {
        PORT: "http",
        DATABASE_URL: "postgres://x",
        KAFKA_BROKERS: "nohost",
        KAFKA_TOPIC_PREFIX: "bad prefix",
        FLAG: "maybe",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(problems.join("\n")).toMatch(/^PORT: must be a port number$/m);
    expect(problems.join("\n")).toMatch(/^DATABASE_URL: must start with file:/m);
    expect(problems.join("\n")).toMatch(/^KAFKA_BROKERS: must be a comma-separated/m);
    expect(problems.join("\n")).toMatch(/^KAFKA_TOPIC_PREFIX: may contain only/m);
    expect(problems.join("\n")).toMatch(/^FLAG: must be one of/m);
    expect((error as Error).message).toMatch(/^invalid api configuration:/);
  });

  it("rejects out-of-range ports", () => {
    expect(() => parseEnv("test", schema, { PORT: "70000" })).toThrow(/PORT: must be between/);
  });
});

describe("bearerTokenVar", () => {
  const tokenSchema = z.object({ SOME_TOKEN: bearerTokenVar });
  const problems = (value: string) => {
    try {
      parseEnv("test", tokenSchema, { SOME_TOKEN: value });
      return [];
    } catch (error) {
      return [...(error as ConfigError).problems];
    }
  };

  it("takes RFC 6750 b64token secrets of at least 16 characters", () => {
    for (const token of ["abcdefghijklmnop", "A-._~+/0123456789==", "dG9rZW4tMTIzNDU2Nzg5MA=="]) {
      expect(parseEnv("test", tokenSchema, { SOME_TOKEN: token }).SOME_TOKEN).toBe(token);
    }
  });

  it("refuses characters no Authorization header can carry, naming the variable but not the value", () => {
    for (const token of [
      "correct horse battery staple",
      "s3cret!metrics#token",
      "abc=def0123456789",
      "ünïcødé-token-0123",
    ]) {
      const found = problems(token);
      expect(found).toEqual([
        expect.stringMatching(/^SOME_TOKEN: may contain only letters, digits/),
      ]);
      expect(found.join()).not.toContain(token);
    }
    expect(problems("short")).toEqual(["SOME_TOKEN: must be at least 16 characters"]);
  });
});
