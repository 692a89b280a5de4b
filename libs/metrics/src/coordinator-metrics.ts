// The coordinator's metrics, served at `/metrics` on its HTTP port: the global
// view of the run (loss, throughput, membership, checkpoints) plus, in `star`
// mode, the all-reduce it performs itself.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import {
  COORDINATOR_STATES,
  DIRECTIONS,
  MEMBERSHIP_REASONS,
  METRIC,
  type AllreduceAlgorithm,
  type CoordinatorState,
  type Direction,
  type LossComponent,
  type MembershipReason,
} from "./names.ts";
import {
  STEP_SECONDS_BUCKETS,
  createRegistry,
  type LabelledCounter,
  type LabelledGauge,
  type LabelledHistogram,
  type PlainCounter,
  type PlainGauge,
  type SecondsHistogram,
} from "./registry.ts";

export interface CoordinatorMetrics {
  readonly registry: Registry;
  /** Sets `vae_info{role="coordinator", version, node_version} 1`. */
  setInfo(info: { version: string }): void;
  /** Sets `vae_state{state=s}` to 1 and every other state to 0. */
  setState(state: CoordinatorState): void;
  readonly workers: PlainGauge;
  readonly generation: PlainGauge;
  readonly step: PlainGauge;
  readonly epoch: PlainGauge;
  readonly stepsTotal: PlainCounter;
  readonly samplesTotal: PlainCounter;
  readonly samplesPerSecond: PlainGauge;
  readonly loss: LabelledGauge<{ component: LossComponent }>;
  readonly testLoss: PlainGauge;
  readonly stepDuration: SecondsHistogram;
  /** Only in `star` mode, where the coordinator reduces. */
  readonly allreduceDuration: LabelledHistogram<{ algorithm: AllreduceAlgorithm }>;
  readonly allreduceBytes: LabelledCounter<{ direction: Direction }>;
  readonly membershipChanges: LabelledCounter<{ reason: MembershipReason }>;
  readonly checkpoints: PlainCounter;
  /** `reason` is the protocol error code (`VAE_ERR_*`), a small fixed set. */
  readonly rejectedMessages: LabelledCounter<{ reason: string }>;
}

export function createCoordinatorMetrics(registry?: Registry): CoordinatorMetrics {
  const reg = createRegistry(registry);
  const registers = [reg];
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
  const counter = (name: string, help: string) => new Counter({ name, help, registers });

  const info = new Gauge({
    name: METRIC.info,
    help: "Always 1; labels describe this coordinator process.",
    labelNames: ["role", "version", "node_version"] as const,
    registers,
  });
  const state = new Gauge({
    name: METRIC.state,
    help: `Coordinator state: 1 for the current one of ${COORDINATOR_STATES.join("|")}, 0 for the others.`,
    labelNames: ["state"] as const,
    registers,
  });
  const testLoss = gauge(METRIC.testLoss, "Mean negative ELBO per test sample (nats) at the last evaluation.");
  testLoss.set(Number.NaN); // no evaluation yet: a gap on the graph, not a fake 0

  const allreduceBytes = new Counter({
    name: METRIC.allreduceBytes,
    help: "Gradient bytes the coordinator exchanged with workers in star mode.",
    labelNames: ["direction"] as const,
    registers,
  });
  const membershipChanges = new Counter({
    name: METRIC.membershipChanges,
    help: "Generation changes, by the membership event that caused them.",
    labelNames: ["reason"] as const,
    registers,
  });
  // Every fixed label value starts at 0, so increase() catches the first event.
  for (const direction of DIRECTIONS) allreduceBytes.inc({ direction }, 0);
  for (const reason of MEMBERSHIP_REASONS) membershipChanges.inc({ reason }, 0);

  const metrics: CoordinatorMetrics = {
    registry: reg,
    setInfo({ version }) {
      info.reset();
      info.set({ role: "coordinator", version, node_version: process.version }, 1);
    },
    setState(current) {
      for (const s of COORDINATOR_STATES) state.set({ state: s }, s === current ? 1 : 0);
    },
    workers: gauge(METRIC.workers, "Workers in the current generation."),
    generation: gauge(METRIC.generation, "Current generation; it grows on every membership change."),
    step: gauge(METRIC.step, "Global step last completed."),
    epoch: gauge(METRIC.epoch, "Current epoch, from 0."),
    stepsTotal: counter(METRIC.stepsTotal, "Global steps completed by this coordinator process."),
    samplesTotal: counter(METRIC.samplesTotal, "Training samples consumed (global batch per step)."),
    samplesPerSecond: gauge(METRIC.samplesPerSecond, "Training throughput in samples per second over the recent steps."),
    loss: new Gauge({
      name: METRIC.loss,
      help: "Mean per-sample training loss of the last step (nats), by component: total = reconstruction + beta * kl.",
      labelNames: ["component"] as const,
      registers,
    }),
    testLoss,
    stepDuration: new Histogram({
      name: METRIC.stepDuration,
      help: "Seconds per global step, from dispatch to the last worker's result.",
      buckets: [...STEP_SECONDS_BUCKETS],
      registers,
    }),
    allreduceDuration: new Histogram({
      name: METRIC.allreduceDuration,
      help: "Seconds per star all-reduce performed by the coordinator.",
      labelNames: ["algorithm"] as const,
      buckets: [...STEP_SECONDS_BUCKETS],
      registers,
    }),
    allreduceBytes,
    membershipChanges,
    checkpoints: counter(METRIC.checkpoints, "Checkpoints written (periodic and on shutdown)."),
    rejectedMessages: new Counter({
      name: METRIC.rejectedMessages,
      help: "Incoming messages rejected by validation, by error code.",
      labelNames: ["reason"] as const,
      registers,
    }),
  };
  metrics.setState("waiting");
  return metrics;
}
