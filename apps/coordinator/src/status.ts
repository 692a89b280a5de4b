import type { Coordinator } from "./coordinator.ts";

/** Membership events in /api/status (the Membership keeps more). */
const STATUS_EVENTS = 50;

/** One row of the worker table: /api/status and the dashboard show the same fields. */
export function workerRows(c: Coordinator) {
  return c.membership.list().map((m) => ({
    workerId: m.workerId,
    rank: m.rank,
    host: m.host,
    pid: m.pid,
    backend: m.backend,
    state: m.rank === null ? "joining" : c.state === "training" ? "training" : c.state,
    lastStep: m.lastStep,
    computeMs: m.computeMs,
    allreduceMs: m.allreduceMs,
    metricsPort: m.metricsPort,
  }));
}

export type WorkerRow = ReturnType<typeof workerRows>[number];

/** The JSON of GET /api/status: what a script or the dashboard needs to know about the run. */
export function statusOf(c: Coordinator, extra: { runId: string; runDir: string; startedAt: string }) {
  return {
    runId: extra.runId,
    runDir: extra.runDir,
    startedAt: extra.startedAt,
    state: c.state,
    generation: c.generation,
    step: c.committedStep,
    totalSteps: c.targetSteps,
    epoch: c.schedule.locate(Math.min(c.committedStep, c.schedule.totalSteps - 1)).epoch,
    stepsPerEpoch: c.schedule.stepsPerEpoch,
    epochs: c.opts.config.epochs,
    algorithm: c.opts.algorithm,
    compress: c.opts.compress,
    config: c.opts.config,
    samplesPerSecond: c.samplesPerSecond,
    loss: c.lastLoss,
    testLoss: c.lastTest,
    testHistory: c.testHistory,
    digest: c.lastDigest,
    workers: workerRows(c),
    events: c.membership.events.slice(-STATUS_EVENTS),
  };
}

export type Status = ReturnType<typeof statusOf>;
