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

/**
 * Mean negative ELBO (and its parts) per example over an image set, in nats,
 * with one reparameterized sample per example. Pixels are not binarized: this
 * is the number the acceptance criteria quote.
 */
export async function evaluateElbo(model: VaeModel, set: ImageSet, seed: number, latentSize: number): Promise<StepLosses> {
  let total = 0;
  let reconstruction = 0;
  let kl = 0;
  for (let start = 0; start < set.count; start += EVAL_BATCH) {
    const end = Math.min(set.count, start + EVAL_BATCH);
    const indices = Uint32Array.from({ length: end - start }, (_, i) => start + i);
    const x = gatherImages(set, indices);
    const losses = await model.lossPerSample(x, evalNoise(seed, indices, latentSize));
    for (let i = 0; i < indices.length; i++) {
      total += losses.total[i]!;
      reconstruction += losses.reconstruction[i]!;
      kl += losses.kl[i]!;
    }
  }
  const n = Math.max(1, set.count);
  return { total: total / n, reconstruction: reconstruction / n, kl: kl / n };
}
