/**
 * Matching a subsidy program to a subscriber, and the identity of a program version.
 *
 * A program matches by region when it covers "all" regions or one of the subscriber's regions
 * (compared trimmed and case-insensitively). It matches by class when some home the subscriber assessed
 * can make the program's required class jump: a home of class C can improve by at most
 * classJump(C, "A+") classes, so it qualifies when that is ≥ minClassJump (1 when the program sets none:
 * any home not already A+). A program matches only while it is open, `opensAt <= now < closesAt` (a
 * bound it does not set is open): announced before its opening it matches from `opensAt` on (the due
 * timer wakes the evaluator then), and nothing once `closesAt` has passed.
 *
 * A program version is the program's content without the event's `id` and `ts`: a re-delivered or
 * re-published identical program is the same version; any changed field (regions, class jump, subsidy
 * share, budget, dates, url) is a new version, and alerts again.
 */
import { classJump } from "../energy/classify.ts";
import type { EnergyClass } from "../energy/index.ts";
import { regionKey } from "../market/regions.ts";
import { stableId } from "./hash.ts";
import type { SubscriberProfile, SubsidyProgram } from "./inputs.ts";
import type { MarketSubsidyParams } from "./rules.ts";

export interface SubsidyMatch {
  matches: boolean;
  /** Subscriber regions the program covers ("all" when it covers every region). */
  matchedRegions: string[];
  /** Assessed classes that can make the program's class jump. */
  eligibleClasses: EnergyClass[];
  open: boolean;
}

const norm = regionKey;

export function matchSubsidy(
  program: SubsidyProgram,
  subscriber: SubscriberProfile,
  mode: MarketSubsidyParams["match"],
  nowMs: number,
): SubsidyMatch {
  const open =
    (program.opensAt === undefined || program.opensAt <= nowMs) &&
    (program.closesAt === undefined || nowMs < program.closesAt);
  let matchedRegions: string[];
  if (program.regions === "all") matchedRegions = ["all"];
  else {
    const covered = new Set(program.regions.map(norm));
    matchedRegions = [...new Set(subscriber.regions.filter((r) => covered.has(norm(r))))].sort();
  }
  const jump = program.minClassJump ?? 1;
  const eligibleClasses = [...new Set(subscriber.assessedClasses)]
    .filter((c) => classJump(c, "A+") >= jump)
    .sort();
  const byRegion = matchedRegions.length > 0;
  const byClass = eligibleClasses.length > 0;
  const wanted =
    mode === "region"
      ? byRegion
      : mode === "class"
        ? byClass
        : mode === "region_and_class"
          ? byRegion && byClass
          : byRegion || byClass;
  return { matches: open && wanted, matchedRegions, eligibleClasses, open };
}

export function subsidyProgramVersion(program: SubsidyProgram): string {
  const content = program;
  const regions = content.regions === "all" ? "all" : [...content.regions].map(norm).sort();
  return stableId(
    "subsidy",
    content.program,
    regions,
    content.minClassJump ?? null,
    content.maxSubsidyPct ?? null,
    content.maxBudgetEur ?? null,
    content.opensAt ?? null,
    content.closesAt ?? null,
    content.url ?? null,
  );
}
