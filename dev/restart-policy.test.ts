import { describe, expect, it } from "vitest";
import { restartTracker } from "./restart-policy.ts";

const policy = { initialMs: 500, maxMs: 3000, stableMs: 60_000, maxCrashes: 6 };

describe("restartTracker", () => {
  it("doubles the delay per fast crash up to the cap, then gives up", () => {
    let t = 0;
    const tracker = restartTracker(policy, () => t);
    const decisions = [];
    for (let i = 0; i < 6; i++) {
      t += 1000;
      decisions.push(tracker.crashed());
      tracker.started();
    }
    expect(decisions.map((d) => (d.action === "restart" ? d.delayMs : d.action))).toEqual([
      500,
      1000,
      2000,
      3000,
      3000,
      "give_up",
    ]);
    expect(decisions.at(-1)).toEqual({ action: "give_up", crashes: 6, uptimeMs: 1000 });
  });

  it("starts a new series after a run that lasted stableMs", () => {
    let t = 0;
    const tracker = restartTracker(policy, () => t);
    t += 10;
    expect(tracker.crashed()).toMatchObject({ delayMs: 500, crashes: 1 });
    tracker.started();
    t += 10;
    expect(tracker.crashed()).toMatchObject({ delayMs: 1000, crashes: 2 });
    tracker.started();
    t += 60_000;
    expect(tracker.crashed()).toEqual({
      action: "restart",
      delayMs: 500,
      crashes: 1,
      uptimeMs: 60_000,
    });
  });
});
