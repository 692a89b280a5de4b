import { stepsPerEpoch as countSteps, batchPositions } from "@vae/data";

/** Where a global step falls: its epoch, its index in the epoch, and the batch it covers. */
export interface StepLocation {
  globalStep: number;
  epoch: number;
  stepInEpoch: number;
  /** Samples in this step's global batch: B, or fewer for an epoch's last partial batch. */
  batchLength: number;
}

/**
 * Maps global step numbers to (epoch, step in epoch). Global steps count from 0
 * across epochs; the last batch of an epoch may be partial (see @vae/data), and
 * is still one step. A checkpoint's `step` is the number of global steps applied.
 */
export class Schedule {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;

  constructor(
    readonly trainCount: number,
    readonly batchSize: number,
    readonly epochs: number,
  ) {
    this.stepsPerEpoch = countSteps(trainCount, batchSize);
    this.totalSteps = this.stepsPerEpoch * epochs;
  }

  locate(globalStep: number): StepLocation {
    if (!Number.isInteger(globalStep) || globalStep < 0) throw new RangeError(`global step must be a non-negative integer, got ${globalStep}`);
    const epoch = Math.floor(globalStep / this.stepsPerEpoch);
    const stepInEpoch = globalStep - epoch * this.stepsPerEpoch;
    const { start, end } = batchPositions(this.trainCount, this.batchSize, stepInEpoch);
    return { globalStep, epoch, stepInEpoch, batchLength: end - start };
  }
}
