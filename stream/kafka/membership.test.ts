import { EventEmitter } from "node:events";
import type { Consumer } from "kafkajs";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../core/observability/logger.ts";
import { createStreamMetrics } from "../metrics/registry.ts";
import { trackMembership } from "./membership.ts";

/** The part of a kafkajs consumer membership listens to: its event names and `on`. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  const events = {
    GROUP_JOIN: "consumer.group_join",
    CRASH: "consumer.crash",
    STOP: "consumer.stop",
    END_BATCH_PROCESS: "consumer.end_batch_process",
  };
  const consumer = {
    events,
    on: (event: string, listener: (e: { payload: unknown }) => void) => {
      emitter.on(event, listener);
      return () => emitter.off(event, listener);
    },
  } as unknown as Consumer;
  return { consumer, emit: (event: string, payload: unknown) => emitter.emit(event, { payload }) };
}

describe("stage membership", () => {
  const setup = () => {
    const fake = fakeConsumer();
    const fatal: Error[] = [];
    const membership = trackMembership(fake.consumer, {
      stage: "aggregate",
      groupId: "g",
      metrics: createStreamMetrics(),
      logger: createLogger({ service: "test", level: "silent" }),
      onFatal: (error) => fatal.push(error),
    });
    fake.emit("consumer.group_join", { memberAssignment: { t: [0] } });
    return { ...fake, fatal, membership };
  };

  it("calls onFatal when kafkajs will not restart a crashed consumer", () => {
    const { emit, fatal, membership } = setup();
    expect(membership.isJoined()).toBe(true);
    const error = Object.assign(new Error("fenced"), { retriable: false });
    emit("consumer.crash", { error, groupId: "g", restart: false });
    expect(membership.isJoined()).toBe(false);
    expect(fatal).toEqual([error]);
  });

  it("leaves a crash that kafkajs restarts to kafkajs", () => {
    const { emit, fatal, membership } = setup();
    emit("consumer.crash", { error: new Error("broker gone"), groupId: "g", restart: true });
    expect(membership.isJoined()).toBe(false);
    expect(fatal).toEqual([]);
    emit("consumer.group_join", { memberAssignment: { t: [0] } });
    expect(membership.isJoined()).toBe(true);
  });
});
