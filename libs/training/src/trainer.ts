import type { Dataset } from "@vae/data";
import { pruneCheckpoints, writeCheckpoint } from "@vae/checkpoint";
import { evaluateElbo } from "./evaluate.ts";
import { Replica, toCheckpoint, type ReplicaState } from "./replica.ts";
import type { RunConfig } from "./run-config.ts";
import { Schedule, type StepLocation } from "./schedule.ts";
import { applyReduced, computeShare, fusedLength, type StepLosses } from "./share.ts";

export interface TrainOptions {
  config: RunConfig;
  dataset: Dataset;
  /** Where checkpoints go (a `checkpoints` directory); none written when absent. */
  checkpointDir?: string;
  /** Write a checkpoint every N steps (0 = only at the end). */
  checkpointEvery?: number;
  keepCheckpoints?: number;
  /** Stop after this many global steps in total (0 = run all epochs). */
  maxSteps?: number;
  /** Continue from this state (its `step` says where). */
  resume?: ReplicaState;
  /** Evaluate the test set at the end of every epoch. */
  evaluateEachEpoch?: boolean;
  /** When aborted, training stops after the step in progress and the final checkpoint is still written. */
  signal?: AbortSignal;
}

export interface TrainEvents {
  onStep?(at: StepLocation, losses: StepLosses, samplesPerSecond: number): void;
  /** After an epoch's last step (and its test evaluation); `replica` holds the parameters reached. */
  onEpochEnd?(epoch: number, test: StepLosses | null, replica: Replica): void | Promise<void>;
  onCheckpoint?(path: string): void;
}

export interface TrainResult {
  replica: Replica;
  steps: number;
  lastLosses: StepLosses | null;
  lastTest: StepLosses | null;
}

/**
 * The single-process reference trainer: the worker's step with W = 1 and the
 * all-reduce replaced by the identity. The cluster's parity tests compare
 * against exactly this loop.
 */
export async function trainSingleProcess(opts: TrainOptions, events: TrainEvents = {}): Promise<TrainResult> {
  const { config, dataset } = opts;
  const schedule = new Schedule(dataset.train.count, config.batchSize, config.epochs);
  const replica = new Replica(config);
  if (opts.resume) replica.loadState(opts.resume);
  const lastStep = opts.maxSteps ? Math.min(schedule.totalSteps, opts.maxSteps) : schedule.totalSteps;
  const buffer = new Float32Array(fusedLength(replica));
  let lastLosses: StepLosses | null = null;
  let lastTest: StepLosses | null = null;
  let lastEpoch = schedule.locate(Math.min(replica.step, schedule.totalSteps - 1)).epoch;

  const checkpoint = async (epoch: number): Promise<void> => {
    if (!opts.checkpointDir) return;
    const path = await writeCheckpoint(opts.checkpointDir, toCheckpoint(config, replica.exportState(), epoch));
    await pruneCheckpoints(opts.checkpointDir, opts.keepCheckpoints ?? 3);
    events.onCheckpoint?.(path);
  };

  while (replica.step < lastStep) {
    const at = schedule.locate(replica.step);
    const started = performance.now();
    await computeShare(replica, dataset.train, config, at, 0, 1, buffer);
    lastLosses = applyReduced(replica, buffer);
    events.onStep?.(at, lastLosses, at.batchLength / ((performance.now() - started) / 1000));
    lastEpoch = at.epoch;

    const epochDone = at.stepInEpoch === schedule.stepsPerEpoch - 1;
    if (epochDone) {
      lastTest = opts.evaluateEachEpoch === false ? null : await evaluateElbo(replica.model, dataset.test, config.seed, config.model.latentSize);
      await events.onEpochEnd?.(at.epoch, lastTest, replica);
    }
    if (opts.checkpointEvery && replica.step % opts.checkpointEvery === 0 && replica.step < lastStep) await checkpoint(at.epoch);
    // A step is synchronous compute chained by promises (microtasks only); yield one macrotask turn so
    // signal handlers, timers (progress display) and I/O callbacks run between steps.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (opts.signal?.aborted) break;
  }
  await checkpoint(lastEpoch);
  return { replica, steps: replica.step, lastLosses, lastTest };
}


