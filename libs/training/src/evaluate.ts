import { gatherImages, type ImageSet } from "@vae/data";
import { Purpose, Rng } from "@vae/random";
import type { VaeModel } from "@vae/model";
import type { StepLosses } from "./share.ts";

/** Samples per forward pass when evaluating; bounds memory, does not change the result. */
const EVAL_BATCH = 500;

/** Fixed noise for evaluating sample `index`: the same in every evaluation, so test losses are comparable across epochs. */
function evalNoise(seed: number, indices: ArrayLike<number>, latentSize: number): Float32Array {
  const eps = new Float32Array(indices.length * latentSize);
  for (let i = 0; i < indices.length; i++) new Rng(seed, Purpose.Eval, indices[i]!).fillNormal(eps, i * latentSize, latentSize);
  return eps;
}

export interface LossTotals extends StepLosses {
  count: number;
}

/**
 * Sums of the per-example losses over images [start, end) of a set: the part of
 * the test set one rank evaluates. Summing the parts of all ranks gives exactly
 * the totals of a single process (each example's noise depends only on its index).
 */
export async function evaluateRange(model: VaeModel, set: ImageSet, seed: number, latentSize: number, start: number, end: number): Promise<LossTotals> {
  const sums: LossTotals = { count: 0, total: 0, reconstruction: 0, kl: 0 };
  for (let from = start; from < end; from += EVAL_BATCH) {
    const to = Math.min(end, from + EVAL_BATCH);
    const indices = Uint32Array.from({ length: to - from }, (_, i) => from + i);
    const losses = await model.lossPerSample(gatherImages(set, indices), evalNoise(seed, indices, latentSize));
    for (let i = 0; i < indices.length; i++) {
      sums.total += losses.total[i]!;
      sums.reconstruction += losses.reconstruction[i]!;
      sums.kl += losses.kl[i]!;
    }
    sums.count += indices.length;
  }
  return sums;
}

/**
 * Mean negative ELBO (and its parts) per example over an image set, in nats,
 * with one reparameterized sample per example. Pixels are not binarized: this
 * is the number the acceptance criteria quote.
 */
export async function evaluateElbo(model: VaeModel, set: ImageSet, seed: number, latentSize: number): Promise<StepLosses> {
  const sums = await evaluateRange(model, set, seed, latentSize, 0, set.count);
  const n = Math.max(1, sums.count);
  return { total: sums.total / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n };
}
