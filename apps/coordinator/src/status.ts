import type { Coordinator } from "./coordinator.ts";

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
    workers: c.membership.list().map((m) => ({
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
    })),
    events: c.membership.events.slice(-50),
  };
}

export type Status = ReturnType<typeof statusOf>;
