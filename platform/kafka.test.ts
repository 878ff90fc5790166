import { describe, expect, it } from "vitest";
import type { LogLevel } from "../core/observability/logger.ts";
import { createLogger } from "../core/observability/logger.ts";
import { createKafka } from "./kafka.ts";

/** The log creator kafkajs is given, fed directly (kafkajs at its boundary). */
function kafkaLog() {
  const lines: { level: LogLevel; line: Record<string, unknown> }[] = [];
  const logger = createLogger({
    service: "t",
    level: "debug",
    writer: (level, line) => lines.push({ level, line: JSON.parse(line) }),
  });
  const kafka = createKafka({ brokers: ["127.0.0.1:1"], clientId: "t", logger, logLevel: "debug" });
  const creator = (
    kafka as unknown as {
      logger(): { error(m: string, f: object): void; warn(m: string, f: object): void };
    }
  ).logger();
  return {
    lines,
    log: creator,
    levelOf: (msg: string) => lines.find((l) => l.line.msg === msg)?.level,
  };
}

describe("kafkajs logs through gridpulse's logger", () => {
  it("logs CONCURRENT_TRANSACTIONS retries at debug, whether kafkajs names them in the message or the error; other errors stay errors", () => {
    const { log, levelOf } = kafkaLog();
    log.error(
      "Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing",
      { retryCount: 0, retryTime: 12 },
    );
    log.error("Response AddPartitionsToTxn(key: 24, version: 1)", {
      error:
        "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing",
    });
    log.error("Connection error: connect ECONNREFUSED 127.0.0.1:1", {});
    log.warn("Limiting retries for the idempotent producer may invalidate EoS guarantees", {});
    expect(
      levelOf(
        "Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing",
      ),
    ).toBe("debug");
    expect(levelOf("Response AddPartitionsToTxn(key: 24, version: 1)")).toBe("debug");
    expect(levelOf("Connection error: connect ECONNREFUSED 127.0.0.1:1")).toBe("error");
    expect(
      levelOf("Limiting retries for the idempotent producer may invalidate EoS guarantees"),
    ).toBe("warn");
  });
});
