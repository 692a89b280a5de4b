// A worker's metrics, served on its own `--metrics-port`. Series carry no rank:
// Prometheus adds rank/worker_id/host from service discovery.
// See Note [Target labels] in names.ts.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { busBandwidth } from "./bus-bandwidth.ts";
import {
  DIRECTIONS,
  METRIC,
  type AllreduceAlgorithm,
  type Direction,
} from "./names.ts";
import {
  STEP_SECONDS_BUCKETS,
  createRegistry,
  type LabelledCounter,
  type LabelledHistogram,
  type PlainCounter,
  type PlainGauge,
  type SecondsHistogram,
} from "./registry.ts";

/** One all-reduce, as the worker saw it. */
export interface AllreduceRecord {
  algorithm: AllreduceAlgorithm;
  seconds: number;
  /** Size of the reduced gradient buffer in bytes (fp32, before any compression). */
  bufferBytes: number;
  worldSize: number;
  /** Bytes actually written to / read from peer sockets (after compression). */
  bytesSent: number;
  bytesReceived: number;
}

export interface WorkerMetrics {
  readonly registry: Registry;
  /** Sets `vae_info{role="worker", backend, version, node_version} 1`; call again when the backend is known. */
  setInfo(info: { backend: string; version: string }): void;
  readonly generation: PlainGauge;
  readonly stepsTotal: PlainCounter;
  readonly samplesTotal: PlainCounter;
  readonly stepDuration: SecondsHistogram;
  readonly computeDuration: SecondsHistogram;
  readonly allreduceDuration: LabelledHistogram<{ algorithm: AllreduceAlgorithm }>;
  readonly applyDuration: SecondsHistogram;
  readonly waitDuration: SecondsHistogram;
  readonly allreduceBytes: LabelledCounter<{ direction: Direction }>;
  readonly allreduceBusBandwidth: PlainGauge;
  /** `reason` is the protocol error code (`VAE_ERR_*`), a small fixed set. */
  readonly rejectedMessages: LabelledCounter<{ reason: string }>;
  /** Observes duration, adds bytes and sets bus bandwidth for one all-reduce. */
  recordAllreduce(record: AllreduceRecord): void;
}

export function createWorkerMetrics(registry?: Registry): WorkerMetrics {
  const reg = createRegistry(registry);
  const registers = [reg];
  const seconds = (name: string, help: string) =>
    new Histogram({ name, help, buckets: [...STEP_SECONDS_BUCKETS], registers });

  const info = new Gauge({
    name: METRIC.info,
    help: "Always 1; labels describe this worker process.",
    labelNames: ["role", "backend", "version", "node_version"] as const,
    registers,
  });
  const allreduceDuration = new Histogram({
    name: METRIC.allreduceDuration,
    help: "Seconds per gradient all-reduce, including waiting for the slowest peer.",
    labelNames: ["algorithm"] as const,
    buckets: [...STEP_SECONDS_BUCKETS],
    registers,
  });
  const allreduceBytes = new Counter({
    name: METRIC.allreduceBytes,
    help: "Gradient bytes exchanged with peers (after compression).",
    labelNames: ["direction"] as const,
    registers,
  });
  for (const direction of DIRECTIONS) allreduceBytes.inc({ direction }, 0); // so rate() sees the first bytes
  const busbw = new Gauge({
    name: METRIC.allreduceBusBandwidth,
    help: "Bus bandwidth of the last all-reduce in bytes per second: S/t * 2(W-1)/W.",
    registers,
  });

  const metrics: WorkerMetrics = {
    registry: reg,
    setInfo({ backend, version }) {
      info.reset();
      info.set({ role: "worker", backend, version, node_version: process.version }, 1);
    },
    generation: new Gauge({ name: METRIC.generation, help: "Generation this worker is in.", registers }),
    stepsTotal: new Counter({ name: METRIC.stepsTotal, help: "Steps applied by this replica.", registers }),
    samplesTotal: new Counter({ name: METRIC.samplesTotal, help: "Samples this worker computed gradients for.", registers }),
    stepDuration: seconds(METRIC.stepDuration, "Seconds per step on this worker: compute + all-reduce + apply."),
    computeDuration: seconds(METRIC.computeDuration, "Seconds per forward and backward pass over this worker's share."),
    allreduceDuration,
    applyDuration: seconds(METRIC.applyDuration, "Seconds per optimizer update after the all-reduce."),
    waitDuration: seconds(METRIC.waitDuration, "Seconds idle between steps, waiting on the coordinator."),
    allreduceBytes,
    allreduceBusBandwidth: busbw,
    rejectedMessages: new Counter({
      name: METRIC.rejectedMessages,
      help: "Incoming messages rejected by validation, by error code.",
      labelNames: ["reason"] as const,
      registers,
    }),
    recordAllreduce(r) {
      allreduceDuration.observe({ algorithm: r.algorithm }, r.seconds);
      allreduceBytes.inc({ direction: "sent" }, r.bytesSent);
      allreduceBytes.inc({ direction: "received" }, r.bytesReceived);
      busbw.set(busBandwidth(r.bufferBytes, r.worldSize, r.seconds));
    },
  };
  return metrics;
}
