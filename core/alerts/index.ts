/** Alert rules, the pure evaluator and the notification planner (see README.md). */
export {
  type Condition,
  type PreparedInputs,
  prepareInputs,
  priceChangePct,
  type Sample,
  sampleRule,
} from "./conditions.ts";
export { type DueArgs, minuteAligned, nextDueAtMs } from "./due.ts";
export {
  type AcknowledgeResult,
  type AlertPhase,
  type AlertState,
  type AlertStatus,
  type AlertTransition,
  acknowledge,
  defaultEdgeRetentionMs,
  defaultResolvedRetentionMs,
  type EvaluateArgs,
  type EvaluateOptions,
  type EvaluateResult,
  evaluate,
  mergeLabels,
} from "./evaluate.ts";
export { alertFingerprint, fnv1a64, stableId } from "./hash.ts";
export type {
  EvaluationInputs,
  LatencyObservation,
  PricePoint,
  SloBurnInput,
  SubscriberProfile,
  SubsidyProgram,
} from "./inputs.ts";
export { commonLabels, type Labels, renderAnnotations } from "./labels.ts";
export { type Matcher, matcherSchema, matches, matchesAll } from "./matchers.ts";
export {
  groupKeyFor,
  groupLabelsFor,
  type Notification,
  type NotificationAlert,
  type NotificationGroup,
  type NotificationReason,
  type NotifiedAlert,
  type PlanArgs,
  type PlanResult,
  plan,
  type RouteConfig,
  type RouteConfigInput,
  routeSchema,
} from "./plan.ts";
export {
  type AlertRule,
  type AlertRuleInput,
  type AlertRuleKind,
  alertRuleSchema,
  type LatencyQuantileName,
  type LatencyThresholdParams,
  type LatencyWindow,
  latencyQuantiles,
  latencyWindows,
  type MarketPriceParams,
  type MarketSubsidyParams,
  parseAlertRule,
  type RuleOf,
  type Severity,
  type SloBurnParams,
  severities,
} from "./rules.ts";
export { sloBurnRules } from "./slo-rules.ts";
export { matchSubsidy, type SubsidyMatch, subsidyProgramVersion } from "./subsidy.ts";
export {
  defaultInhibitRules,
  type InhibitRule,
  inhibitRuleSchema,
  isMuted,
  type Silence,
  type Suppression,
  silenceActive,
  silenceSchema,
  suppressions,
} from "./suppression.ts";
