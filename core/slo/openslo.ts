/**
 * Import of OpenSLO v1 `kind: SLO` documents (YAML) into gridpulse SLO definitions.
 *
 * Supported: an inline `indicator` with a `ratioMetric` or a `thresholdMetric` whose metric sources
 * have `type: gridpulse`; `budgetingMethod: Occurrences`; one objective with `target` (a ratio) or
 * `targetPercent` (99.9 = target 0.999); a rolling window in days or weeks (`28d`, `4w`) or a calendar
 * month (`1M` with `isRolling: false` or a `calendar`: isRolling defaults to false when a calendar is
 * given, as the spec says; `calendar.startTime` on the 1st at 00:00; `calendar.timeZone`, default UTC).
 * A gridpulse metric source counts RequestEvents: `spec.filter` is `all`, `status < 500` or
 * `durationMs <= N` (ratio), and `spec.field: durationMs` with the objective's `op: lte` and a `value`
 * in whole ms (threshold); `spec.routes` narrows to route patterns.
 * Not supported (clear errors): `indicatorRef` / SLI objects by reference, other metric sources,
 * Timeslices and RatioTimeslices budgeting, several objectives, both target and targetPercent,
 * `lt`/`gt`/`gte` thresholds and fractional `lte` values (durations have fractions of a ms and stage 1
 * counts `durationMs <= whole ms`: no exact equivalent), windows in minutes or hours, calendar windows
 * other than one month, calendars starting elsewhere than on the 1st at 00:00. `alertPolicies` are
 * ignored with a warning (gridpulse applies its burn-rate tiers).
 */
import { parseAllDocuments } from "yaml";
import type { SloDefinitionInput } from "./definition.ts";
import { decimal, over, ratio, toNumber } from "./exact.ts";

export class OpenSloImportError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`OpenSLO document not importable: ${problems.join("; ")}`);
    this.name = "OpenSloImportError";
    this.problems = problems;
  }
}

export interface ImportedSlo {
  definition: SloDefinitionInput;
  warnings: string[];
}

/**
 * Bounds on what one import may make the YAML parser do: characters, documents, alias expansions (the
 * parser counts each alias's nodes against this, so an alias bomb fails fast) and nesting depth.
 */
export const yamlLimits = {
  maxBytes: 64 * 1024,
  maxDocuments: 20,
  maxAliasCount: 100,
  maxDepth: 32,
};

type Obj = Record<string, unknown>;

/** Nesting depth of a value, stopping once it exceeds `limit` (iterative). */
function depthOf(value: unknown, limit: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, level] = stack.pop() as [unknown, number];
    if (typeof node !== "object" || node === null) continue;
    if (level + 1 > max) max = level + 1;
    if (max > limit) return max;
    for (const item of Object.values(node)) stack.push([item, level + 1]);
  }
  return max;
}
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A YAML scalar as text, else undefined. Maps and lists are never coerced: a map's own `toString` or
 * `valueOf` key (`{toString: 1}`) would make `String()`, `Number()` or a template throw.
 */
const text = (v: unknown): string | undefined =>
  typeof v === "string"
    ? v
    : typeof v === "number" || typeof v === "boolean" || typeof v === "bigint"
      ? String(v)
      : undefined;
/** A value as the problem messages show it. */
const shown = (v: unknown): string =>
  text(v) ?? (v === undefined || v === null ? String(v) : Array.isArray(v) ? "a list" : "a map");
/** A YAML number, or a number written as text; NaN for anything else. */
const numeric = (v: unknown): number =>
  typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;

interface SourceSpec {
  filter?: string;
  field?: string;
  routes?: string[];
  service?: string;
}

function gridpulseSource(node: unknown, where: string, problems: string[]): SourceSpec | undefined {
  const source = isObj(node) ? node.metricSource : undefined;
  if (!isObj(source)) {
    problems.push(`${where}.metricSource is required`);
    return undefined;
  }
  if ((text(source.type) ?? "").toLowerCase() !== "gridpulse") {
    problems.push(
      `${where}.metricSource.type "${shown(source.type)}" is not supported (only "gridpulse", counting RequestEvents)`,
    );
    return undefined;
  }
  const spec = isObj(source.spec) ? source.spec : {};
  const routes = spec.routes;
  if (
    routes !== undefined &&
    !(Array.isArray(routes) && routes.every((r) => typeof r === "string"))
  ) {
    problems.push(`${where}.metricSource.spec.routes must be a list of route patterns`);
  }
  return {
    filter: typeof spec.filter === "string" ? spec.filter.trim() : undefined,
    field: typeof spec.field === "string" ? spec.field : undefined,
    routes: Array.isArray(routes) ? (routes as string[]) : undefined,
    service: typeof spec.service === "string" ? spec.service : undefined,
  };
}

/** `calendar.startTime`: "2024-01-01 00:00:00" (local time in the calendar's time zone, no offset). */
const startTimePattern = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

function windowOf(
  spec: Obj,
  problems: string[],
  warnings: string[],
): SloDefinitionInput["window"] | undefined {
  const windows = spec.timeWindow;
  const window = Array.isArray(windows) ? windows[0] : undefined;
  if (!isObj(window) || (Array.isArray(windows) && windows.length !== 1)) {
    problems.push("spec.timeWindow must hold exactly one window");
    return undefined;
  }
  const duration = text(window.duration) ?? "";
  const hasCalendar = window.calendar !== undefined && window.calendar !== null;
  // OpenSLO v1: isRolling, if omitted, is false when a calendar is given and true otherwise.
  if (window.isRolling !== undefined && typeof window.isRolling !== "boolean") {
    problems.push("spec.timeWindow[0].isRolling must be true or false");
    return undefined;
  }
  const rolling = typeof window.isRolling === "boolean" ? window.isRolling : !hasCalendar;
  const match = /^(\d+)([dwM])$/.exec(duration);
  if (!match) {
    problems.push(
      `spec.timeWindow[0].duration "${duration}" is not supported (use days such as 28d, weeks such as 4w, or 1M)`,
    );
    return undefined;
  }
  const count = Number(match[1]);
  if (rolling) {
    if (match[2] === "M") {
      problems.push(
        "a month window must be a calendar month (`duration: 1M` with a calendar or `isRolling: false`); rolling windows are given in days or weeks",
      );
      return undefined;
    }
    if (hasCalendar) warnings.push("spec.timeWindow[0].calendar is ignored for a rolling window");
    return { kind: "rolling", days: match[2] === "w" ? count * 7 : count };
  }
  if (match[2] !== "M" || count !== 1) {
    problems.push("calendar windows other than one month are not supported (use `duration: 1M`)");
    return undefined;
  }
  const calendar = hasCalendar ? window.calendar : {};
  if (!isObj(calendar)) {
    problems.push("spec.timeWindow[0].calendar must be a map with startTime and timeZone");
    return undefined;
  }
  if (calendar.timeZone !== undefined && typeof calendar.timeZone !== "string") {
    problems.push("spec.timeWindow[0].calendar.timeZone must be an IANA time zone name");
    return undefined;
  }
  if (calendar.startTime !== undefined) {
    // gridpulse's calendar months start on the 1st at 00:00 in their time zone; a calendar that
    // starts elsewhere would count other windows than its owner expects.
    const start =
      calendar.startTime instanceof Date
        ? calendar.startTime.toISOString().slice(0, 19)
        : (text(calendar.startTime) ?? "").trim();
    const parts = startTimePattern.exec(start);
    if (!parts) {
      problems.push(
        `spec.timeWindow[0].calendar.startTime "${shown(calendar.startTime)}" must be a date and time such as 2024-01-01 00:00:00`,
      );
      return undefined;
    }
    const [, , month, day, hour, minute, second = "00"] = parts;
    if (
      Number(month) < 1 ||
      Number(month) > 12 ||
      day !== "01" ||
      hour !== "00" ||
      minute !== "00" ||
      second !== "00"
    ) {
      problems.push(
        `spec.timeWindow[0].calendar.startTime "${start}" is not supported: calendar months start on the 1st at 00:00 in their time zone`,
      );
      return undefined;
    }
  }
  const timeZone = typeof calendar.timeZone === "string" ? calendar.timeZone : "UTC";
  return { kind: "calendar", unit: "month", timeZone };
}

/**
 * The objective's target: `target` (a ratio) or `targetPercent` (OpenSLO v1: 99.9 is target 0.999),
 * the percentage divided by 100 as the decimal it is written as (99.9 → 0.999, not 0.9990000000000001).
 */
function targetOf(objective: Obj, problems: string[]): number {
  const hasTarget = objective.target !== undefined && objective.target !== null;
  const hasPercent = objective.targetPercent !== undefined && objective.targetPercent !== null;
  if (hasTarget && hasPercent) {
    problems.push("give objectives[0].target or objectives[0].targetPercent, not both");
    return Number.NaN;
  }
  if (hasPercent) {
    const percent = numeric(objective.targetPercent);
    if (!(percent > 0 && percent < 100)) {
      problems.push(
        "objectives[0].targetPercent must be a percentage between 0 and 100 (e.g. 99.9)",
      );
      return Number.NaN;
    }
    // One rounding of the exact quotient: the number nearest 999/1000, as 0.999 is written.
    return toNumber(over(decimal(percent), ratio(100n, 1n)));
  }
  const target = numeric(objective.target);
  if (!(target > 0 && target < 1))
    problems.push(
      "objectives[0].target must be a ratio between 0 and 1 (e.g. 0.999), or give targetPercent (e.g. 99.9)",
    );
  return target;
}

export function importOpenSlo(yamlText: string): ImportedSlo {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (yamlText.length > yamlLimits.maxBytes) {
    throw new OpenSloImportError([`YAML: the document exceeds ${yamlLimits.maxBytes} characters`]);
  }
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(yamlText);
  } catch (error) {
    throw new OpenSloImportError([`YAML: ${(error as Error).message}`]);
  }
  if (!Array.isArray(docs)) throw new OpenSloImportError(["not a YAML document"]);
  if (docs.length > yamlLimits.maxDocuments) {
    throw new OpenSloImportError([`YAML: more than ${yamlLimits.maxDocuments} documents`]);
  }
  const yamlErrors = docs.flatMap((d) => d.errors.map((e) => e.message));
  if (yamlErrors.length > 0) throw new OpenSloImportError(yamlErrors.map((m) => `YAML: ${m}`));
  let values: unknown[];
  try {
    // The parser's own guard against alias bombs ("billion laughs") throws here.
    values = docs.map((d) => d.toJS({ maxAliasCount: yamlLimits.maxAliasCount }) as unknown);
  } catch (error) {
    throw new OpenSloImportError([
      `YAML: ${(error as Error).message} (at most ${yamlLimits.maxAliasCount} alias expansions)`,
    ]);
  }
  const tooDeep = values.find((v) => depthOf(v, yamlLimits.maxDepth) > yamlLimits.maxDepth);
  if (tooDeep !== undefined) {
    throw new OpenSloImportError([`YAML: nests deeper than ${yamlLimits.maxDepth} levels`]);
  }
  const slos = values.filter((d) => isObj(d) && d.kind === "SLO");
  if (slos.length !== 1)
    throw new OpenSloImportError([
      `expected exactly one document of kind SLO, found ${slos.length}`,
    ]);
  const doc = slos[0] as Obj;
  if (doc.apiVersion !== "openslo/v1")
    problems.push(`apiVersion must be openslo/v1 (got ${shown(doc.apiVersion)})`);
  const metadata = isObj(doc.metadata) ? doc.metadata : {};
  const spec = isObj(doc.spec) ? doc.spec : {};
  const name = (text(metadata.displayName ?? metadata.name) ?? "").trim();
  if (!name) problems.push("metadata.name is required");

  if (spec.indicatorRef !== undefined)
    problems.push("indicatorRef is not supported: inline the SLI under spec.indicator");
  const budgeting =
    spec.budgetingMethod === undefined || spec.budgetingMethod === null
      ? "Occurrences"
      : shown(spec.budgetingMethod);
  if (budgeting !== "Occurrences")
    problems.push(
      `budgetingMethod ${budgeting} is not supported (only Occurrences: event-weighted budgets)`,
    );
  const window = windowOf(spec, problems, warnings);

  const objectives = Array.isArray(spec.objectives) ? spec.objectives : [];
  if (objectives.length !== 1)
    problems.push(`exactly one objective is supported (found ${objectives.length})`);
  const objective = isObj(objectives[0]) ? (objectives[0] as Obj) : {};
  const target = targetOf(objective, problems);

  const indicator = isObj(spec.indicator) ? spec.indicator : undefined;
  const sliSpec = indicator && isObj(indicator.spec) ? indicator.spec : undefined;
  let sli: SloDefinitionInput["sli"] | undefined;
  let routes: string[] | undefined;
  let service = typeof spec.service === "string" ? spec.service : "";
  if (!sliSpec) {
    problems.push("spec.indicator.spec is required");
  } else if (isObj(sliSpec.ratioMetric)) {
    const ratio = sliSpec.ratioMetric;
    const good = gridpulseSource(ratio.good, "ratioMetric.good", problems);
    const total = gridpulseSource(ratio.total, "ratioMetric.total", problems);
    if (ratio.bad !== undefined)
      problems.push("ratioMetric.bad is not supported: describe good events");
    if (total && total.filter !== undefined && total.filter !== "all") {
      problems.push(
        `ratioMetric.total filter "${total.filter}" is not supported (only all events)`,
      );
    }
    if (good) {
      routes = good.routes ?? total?.routes;
      service = good.service ?? total?.service ?? service;
      const latency = /^durationMs\s*<=\s*(\d+)$/.exec(good.filter ?? "");
      if (good.filter === "status < 500") sli = { kind: "availability" };
      else if (latency) sli = { kind: "latency", thresholdMs: Number(latency[1]) };
      else
        problems.push(
          `ratioMetric.good filter "${good.filter ?? ""}" is not supported (use "status < 500" or "durationMs <= N")`,
        );
    }
  } else if (isObj(sliSpec.thresholdMetric)) {
    const source = gridpulseSource(sliSpec.thresholdMetric, "thresholdMetric", problems);
    if (source) {
      routes = source.routes;
      service = source.service ?? service;
      if (source.field !== "durationMs")
        problems.push("thresholdMetric source must have spec.field: durationMs");
      const op = text(objective.op) ?? "";
      const value = numeric(objective.value);
      // Stage 1 counts durationMs <= a whole-ms threshold, and durations are fractional: `lt` has no
      // exact equivalent (`< 300` is not `<= 299`: 299.5 ms is good), nor has `lte` of a fraction.
      if (op === "lt")
        problems.push(
          'objective op "lt" is not supported: gridpulse counts durationMs <= a whole number of ms and durations have fractions of a ms, so "< N" has no exact equivalent (use op: lte)',
        );
      else if (op !== "lte")
        problems.push(
          `objective op "${op}" is not supported (lte: durations at or below the value are good)`,
        );
      else if (!(value > 0)) problems.push("objectives[0].value must be a duration in ms");
      else if (!Number.isInteger(value))
        problems.push(
          `objectives[0].value ${value} must be whole milliseconds (gridpulse counts durationMs <= a whole number of ms)`,
        );
      else sli = { kind: "latency", thresholdMs: value };
    }
  } else {
    problems.push(
      "spec.indicator.spec must contain ratioMetric or thresholdMetric (rawMetric is not supported)",
    );
  }
  if (!service) problems.push("spec.service (or the metric source's spec.service) is required");
  if (spec.alertPolicies !== undefined) {
    warnings.push(
      "alertPolicies are ignored: gridpulse alerts with its multiwindow burn-rate tiers",
    );
  }
  if (problems.length > 0 || !sli || !window)
    throw new OpenSloImportError(problems.length ? problems : ["incomplete SLO"]);

  const definition: SloDefinitionInput = { name, service, sli, objective: target, window };
  if (routes?.length) definition.routes = routes;
  if (typeof spec.description === "string")
    definition.description = spec.description.slice(0, 1000);
  return { definition, warnings };
}
