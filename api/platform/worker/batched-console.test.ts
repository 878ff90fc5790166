import { describe, expect, it } from "vitest";
import { batchedConsole } from "./batched-console.ts";

/** A batched console over recorded calls and timers fired by hand. */
function recorded(windowMs = 5, maxChars?: number) {
  const logs: string[] = [];
  const errors: string[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let nowMs = 1_000;
  const batch = batchedConsole({
    windowMs,
    ...(maxChars === undefined ? {} : { maxChars }),
    log: (text) => logs.push(text),
    error: (text) => errors.push(text),
    later: (fn, ms) => timers.push({ fn, ms }),
    now: () => nowMs,
  });
  return {
    batch,
    logs,
    errors,
    timers,
    fire: () => {
      for (const t of timers.splice(0)) t.fn();
    },
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe("batched console (Workers access log)", () => {
  it("writes a window's lines of several requests in one call, in order, once its timer fires", async () => {
    const r = recorded();
    r.batch.writer("info", "a");
    const first = r.batch.pending();
    r.batch.writer("debug", "b");
    // The second request finds the window's timer armed: it waits on nothing.
    expect(r.batch.pending()).toBeUndefined();
    r.batch.writer("info", "c");
    expect(r.batch.pending()).toBeUndefined();
    expect(r.timers.map((t) => t.ms)).toEqual([5]);
    expect(r.logs).toEqual([]);
    r.fire();
    await expect(first).resolves.toBeUndefined();
    expect(r.logs).toEqual(["a\nb\nc"]);
    // The next line opens a new window with its own timer.
    r.batch.writer("info", "d");
    const second = r.batch.pending();
    expect(second).toBeInstanceOf(Promise);
    r.fire();
    await second;
    expect(r.logs).toEqual(["a\nb\nc", "d"]);
  });

  it("has nothing to wait on when no line is gathered", () => {
    const r = recorded();
    expect(r.batch.pending()).toBeUndefined();
    expect(r.timers).toEqual([]);
  });

  it("writes gathered lines before a warning or an error, which go out at once", () => {
    const r = recorded();
    r.batch.writer("info", "a");
    const waiting = r.batch.pending();
    r.batch.writer("warn", "careful");
    r.batch.writer("error", "boom");
    expect(r.logs).toEqual(["a"]);
    expect(r.errors).toEqual(["careful", "boom"]);
    // The window's timer still settles its request, with nothing left to write.
    r.fire();
    expect(r.logs).toEqual(["a"]);
    return waiting;
  });

  it("writes at once past its size bound", () => {
    const r = recorded(5, 10);
    r.batch.writer("info", "12345");
    r.batch.writer("info", "67890");
    expect(r.logs).toEqual(["12345\n67890"]);
    r.batch.writer("info", "x");
    expect(r.logs).toEqual(["12345\n67890"]);
  });

  it("arms a new timer when the window's one never fired (its request went away)", async () => {
    const r = recorded(5);
    r.batch.writer("info", "a");
    expect(r.batch.pending()).toBeInstanceOf(Promise);
    r.timers.splice(0); // the runtime cancelled it
    r.advance(9);
    r.batch.writer("info", "b");
    expect(r.batch.pending()).toBeUndefined();
    r.advance(1);
    const replaced = r.batch.pending();
    expect(replaced).toBeInstanceOf(Promise);
    r.fire();
    await replaced;
    expect(r.logs).toEqual(["a\nb"]);
  });

  it("settles the waiting request even when the runtime refuses the write", async () => {
    const timers: (() => void)[] = [];
    const batch = batchedConsole({
      windowMs: 5,
      log: () => {
        throw new Error("stdout closed");
      },
      later: (fn) => timers.push(fn),
    });
    batch.writer("info", "a");
    const waiting = batch.pending();
    expect(() => timers[0]?.()).toThrow("stdout closed");
    await expect(waiting).resolves.toBeUndefined();
    // The lines were taken: a later window does not repeat them.
    expect(batch.pending()).toBeUndefined();
  });
});
