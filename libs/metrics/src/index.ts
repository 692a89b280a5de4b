export {
  ALLREDUCE_ALGORITHMS,
  COORDINATOR_STATES,
  DIRECTIONS,
  LOSS_COMPONENTS,
  MEMBERSHIP_REASONS,
  METRIC,
  METRIC_NAMES,
  ROLES,
  TARGET_LABELS,
  type AllreduceAlgorithm,
  type CoordinatorState,
  type Direction,
  type LossComponent,
  type MembershipReason,
  type MetricName,
  type Role,
  type TargetLabel,
} from "./names.ts";
export {
  STEP_SECONDS_BUCKETS,
  createRegistry,
  type LabelledCounter,
  type LabelledGauge,
  type LabelledHistogram,
  type PlainCounter,
  type PlainGauge,
  type SecondsHistogram,
} from "./registry.ts";
export { busBandwidth } from "./bus-bandwidth.ts";
export { createCoordinatorMetrics, type CoordinatorMetrics } from "./coordinator-metrics.ts";
export { createWorkerMetrics, type AllreduceRecord, type WorkerMetrics } from "./worker-metrics.ts";
export { serveMetrics, startMetricsServer, type MetricsServer, type MetricsServerOptions } from "./metrics-server.ts";
export { serviceDiscoveryTargets, type TargetGroup, type WorkerEndpoint } from "./service-discovery.ts";
export {
  COORDINATOR_PID,
  TIMELINE_PHASES,
  TimelineWriter,
  readTimeline,
  type TraceFileEvent,
  type StepTiming,
  type TimelineOptions,
  type TimelinePhase,
} from "./timeline.ts";
export { parseExposition, seriesNames, type Exposition, type Sample } from "./exposition.ts";
