import { Purpose, Rng } from "@vae/random";

/**
 * Reparameterization noise for a batch: row i holds eps ~ N(0, I) of sample
 * sampleIndices[i], drawn from new Rng(seed, Purpose.Noise, epoch, index).
 * A row depends only on (seed, epoch, sample index), never on which other
 * samples share the batch, so any split of a global batch over workers sees
 * the same noise as one process would (DESIGN.md §3).
 */
export function noiseFor(seed: number, epoch: number, sampleIndices: ArrayLike<number>, latentSize: number): Float32Array {
  const out = new Float32Array(sampleIndices.length * latentSize);
  for (let i = 0; i < sampleIndices.length; i++) {
    new Rng(seed, Purpose.Noise, epoch, sampleIndices[i]!).fillNormal(out, i * latentSize, latentSize);
  }
  return out;
}
