// Every metric name vae-cluster exports, in one place (DESIGN.md §9), so that the
// Grafana dashboard, the factories and the tests are checked against one list
// and cannot drift apart. No other file may spell a `vae_` metric name.
//
// Note [Metric naming]
// Prometheus conventions (https://prometheus.io/docs/practices/naming/):
// - prefix `vae_`; base units in the name (`_seconds`, `_bytes`), never ms or MiB;
// - counters, and only counters, end in `_total`;
// - labels take a small, fixed set of values (listed below as tuples); anything
//   unbounded (step numbers, worker ids) goes into values or target labels.
//
// Note [Target labels]
// A worker's series do NOT carry `rank`, `worker_id` or `host` as metric labels.
// Prometheus attaches them as target labels, taken from the coordinator's HTTP
// service discovery (`/api/sd`, see service-discovery.ts). Reasons:
// - a rank changes with every generation; as a metric label each change would
//   leave the old rank's series behind in the worker's registry forever
//   (prom-client never forgets a label set), and the worker would have to
//   re-label every metric on each generation;
// - the coordinator is the one process that knows the current rank of every
//   worker, and SD refreshes within seconds of a generation change;
// - one label set for all of a worker's series lets dashboards `sum by (rank)`.
// The price: a rank label follows the SD refresh interval (5 s in
// deploy/prometheus/prometheus.yml), so for a few seconds after a generation
// change a worker's samples may carry its previous rank.

export const METRIC = {
  /** Gauge, always 1: `{role, version, node_version}` plus `backend` on workers. */
  info: "vae_info",
  /** Gauge, coordinator: 1 for the current state, 0 for the others (enum pattern), label `state`. */
  state: "vae_state",
  /** Gauge, coordinator: members of the current generation. */
  workers: "vae_workers",
  /** Gauge: current generation (the coordinator's; a worker's own view on workers). */
  generation: "vae_generation",
  /** Gauge, coordinator: global step last completed (survives restarts with --resume, unlike the counter). */
  step: "vae_step",
  /** Gauge, coordinator: current epoch (0-based). */
  epoch: "vae_epoch",
  /** Counter: steps completed (coordinator: globally; worker: applied by this replica). */
  stepsTotal: "vae_steps_total",
  /** Counter: samples trained on (coordinator: global batch per step; worker: its share). */
  samplesTotal: "vae_samples_total",
  /** Gauge, coordinator: training throughput over the recent steps. */
  samplesPerSecond: "vae_samples_per_second",
  /** Gauge, coordinator: mean per-sample training loss of the last step, label `component`. */
  loss: "vae_loss",
  /** Gauge, coordinator: mean negative ELBO per sample on the test set at the last evaluation. */
  testLoss: "vae_test_loss",
  /** Histogram: wall time of one whole step (coordinator: dispatch to all results; worker: wait excluded). */
  stepDuration: "vae_step_duration_seconds",
  /** Histogram, worker: forward + backward pass over its share of the batch. */
  computeDuration: "vae_compute_duration_seconds",
  /** Histogram: the gradient all-reduce, including waiting for the slowest peer; label `algorithm`. */
  allreduceDuration: "vae_allreduce_duration_seconds",
  /** Histogram, worker: unflatten + optimizer update. */
  applyDuration: "vae_apply_duration_seconds",
  /** Histogram, worker: idle between finishing one step and starting the next (waiting on the coordinator). */
  waitDuration: "vae_wait_duration_seconds",
  /** Counter: gradient payload bytes on the wire, label `direction`. */
  allreduceBytes: "vae_allreduce_bytes_total",
  /** Gauge, worker: bus bandwidth of the last all-reduce, NCCL's definition (see bus-bandwidth.ts). */
  allreduceBusBandwidth: "vae_allreduce_busbw_bytes_per_second",
  /** Counter, coordinator: generation changes, label `reason`. */
  membershipChanges: "vae_membership_changes_total",
  /** Counter, coordinator: checkpoints written. */
  checkpoints: "vae_checkpoints_total",
  /** Counter: incoming messages rejected by validation, label `reason` (the `VAE_ERR_*` code). */
  rejectedMessages: "vae_rejected_messages_total",
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
export const METRIC_NAMES: readonly MetricName[] = Object.freeze(Object.values(METRIC));

// Label values: fixed sets, so every series can be created up front (see registry.ts).
export const LOSS_COMPONENTS = ["total", "reconstruction", "kl"] as const;
export type LossComponent = (typeof LOSS_COMPONENTS)[number];

export const DIRECTIONS = ["sent", "received"] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Why a generation ended: a worker joined, left politely, its socket closed, it missed heartbeats, or a step deadline. */
export const MEMBERSHIP_REASONS = ["join", "leave", "closed", "heartbeat", "deadline", "unreachable"] as const;
export type MembershipReason = (typeof MEMBERSHIP_REASONS)[number];

export const ALLREDUCE_ALGORITHMS = ["ring", "star"] as const;
export type AllreduceAlgorithm = (typeof ALLREDUCE_ALGORITHMS)[number];

/**
 * The coordinator's life: waiting for enough workers, training, recovering a
 * broken generation (state transfer), writing a checkpoint, stopping, finished.
 */
export const COORDINATOR_STATES = ["waiting", "training", "recovering", "checkpointing", "stopping", "finished"] as const;
export type CoordinatorState = (typeof COORDINATOR_STATES)[number];

export const ROLES = ["coordinator", "worker"] as const;
export type Role = (typeof ROLES)[number];

/** Labels Prometheus attaches to worker targets from `/api/sd`; never metric labels. See Note [Target labels]. */
export const TARGET_LABELS = ["rank", "worker_id", "host"] as const;
export type TargetLabel = (typeof TARGET_LABELS)[number];
