import { epochPermutation, gatherImages, stepSampleIndices, type ImageSet } from "@vae/data";
import { noiseFor } from "@vae/model";
import type { Replica } from "./replica.ts";
import type { RunConfig } from "./run-config.ts";
import type { StepLocation } from "./schedule.ts";

// Note [Fused step buffer]
// One step moves ONE flat Float32Array through the all-reduce (tensor fusion,
// DESIGN §5): the parameter gradient in the model's fixed layout, followed by
// STATS_LENGTH loss statistics, so the global loss costs no extra message.
// Every rank scales its share's SUMS by 1/B before the all-reduce, so the
// reduced buffer holds the batch MEAN gradient and mean losses. In exact
// arithmetic this is DESIGN §3's "sum, all-reduce, divide by B"; doing the
// division first keeps values in fp16 range when --compress fp16 is on. The
// rounding differs from dividing afterwards by at most one ulp per share.

/** Loss statistics appended to the gradient: [total, reconstruction, kl], batch means in nats. */
export const STATS_LENGTH = 3;

export interface StepLosses {
  total: number;
  reconstruction: number;
  kl: number;
}

export function fusedLength(replica: Replica): number {
  return replica.size + STATS_LENGTH;
}

/**
 * Computes one rank's contribution to a global step: the sample indices it owns
 * (a function of seed, epoch, step, rank and W only), their pixels and noise,
 * and the scaled gradient sum, written into `out` (length fusedLength).
 * Returns the sample indices this rank computed.
 */
export async function computeShare(
  replica: Replica,
  train: ImageSet,
  config: RunConfig,
  at: StepLocation,
  rank: number,
  worldSize: number,
  out: Float32Array,
): Promise<Uint32Array> {
  const perm = epochPermutation(config.seed, at.epoch, train.count);
  const indices = stepSampleIndices(perm, config.batchSize, at.stepInEpoch, rank, worldSize);
  const binarize = config.binarize ? { seed: config.seed, epoch: at.epoch } : undefined;
  const x = gatherImages(train, indices, undefined, binarize);
  const eps = noiseFor(config.seed, at.epoch, indices, config.model.latentSize);
  const size = replica.size;
  const grad = out.subarray(0, size);
  const sums = await replica.model.computeGradients(x, eps, grad);
  const scale = 1 / at.batchLength;
  for (let i = 0; i < size; i++) grad[i]! *= scale;
  out[size] = sums.total * scale;
  out[size + 1] = sums.reconstruction * scale;
  out[size + 2] = sums.kl * scale;
  return indices;
}

/** Applies an all-reduced fused buffer to the replica and returns the step's mean losses. */
export function applyReduced(replica: Replica, reduced: Float32Array): StepLosses {
  const size = replica.size;
  if (reduced.length !== size + STATS_LENGTH) {
    throw new Error(`reduced buffer has ${reduced.length} values, expected ${size + STATS_LENGTH}`);
  }
  for (let i = 0; i < size; i++) {
    if (!Number.isFinite(reduced[i]!)) {
      throw new Error(`reduced gradient is not finite at index ${i} (${reduced[i]}); the step is not applied`);
    }
  }
  replica.apply(reduced.subarray(0, size));
  return { total: reduced[size]!, reconstruction: reduced[size + 1]!, kl: reduced[size + 2]! };
}
