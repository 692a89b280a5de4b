// Which samples a rank computes at (epoch, step). Everything here is a pure function of
// (seed, epoch, n, batchSize, step, rank, worldSize), so a generation change can resume
// at any step with any world size and no sample of the epoch is skipped or seen twice.
//
// Note [Global batch]
// Step s of epoch e covers positions [s*B, min((s+1)*B, n)) of epoch e's permutation
// (DESIGN §3). An epoch has ceil(n/B) steps: when B does not divide n, the last step is
// a partial batch of n - s*B samples (PyTorch's drop_last=False). The caller divides the
// summed gradient by that actual batch length, not by B, so every step is a mean. The
// positions of a step are split contiguously over the W ranks of the generation; the
// first (length % W) ranks get one sample more, and with W > length some ranks get none
// (they still take part in the all-reduce, contributing zeros).
import { Purpose, Rng, permutation } from "@vae/random";

let cached: { seed: number; epoch: number; n: number; perm: Uint32Array } | null = null;

/**
 * The order of epoch `epoch`: a permutation of 0..n-1 drawn from Rng(seed, Permutation, epoch).
 * The last one is cached because it is asked for every step; treat the result as read-only.
 */
export function epochPermutation(seed: number, epoch: number, n: number): Uint32Array {
  if (cached && cached.seed === seed && cached.epoch === epoch && cached.n === n) return cached.perm;
  checkCount("epochPermutation: epoch", epoch, 0);
  checkCount("epochPermutation: n", n, 0);
  const perm = permutation(n, new Rng(seed, Purpose.Permutation, epoch));
  cached = { seed, epoch, n, perm };
  return perm;
}

/** Steps in one epoch: ceil(n / batchSize); the last may be a partial batch. See Note [Global batch]. */
export function stepsPerEpoch(n: number, batchSize: number): number {
  checkCount("stepsPerEpoch: n", n, 0);
  checkCount("stepsPerEpoch: batchSize", batchSize, 1);
  return Math.ceil(n / batchSize);
}

/** Positions [start, end) of the permutation that step `step` covers; end - start is the step's batch length. */
export function batchPositions(n: number, batchSize: number, step: number): { start: number; end: number } {
  const steps = stepsPerEpoch(n, batchSize);
  if (!Number.isInteger(step) || step < 0 || step >= steps) {
    throw new RangeError(`batchPositions: step ${step} is outside 0..${steps - 1} (n=${n}, batchSize=${batchSize})`);
  }
  const start = step * batchSize;
  return { start, end: Math.min(start + batchSize, n) };
}

/** Rank `rank`'s contiguous share [start, end) of a batch of `batchLength` positions (offsets within the batch). */
export function shardRange(batchLength: number, rank: number, worldSize: number): { start: number; end: number } {
  checkCount("shardRange: batchLength", batchLength, 0);
  checkCount("shardRange: worldSize", worldSize, 1);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new RangeError(`shardRange: rank ${rank} is outside 0..${worldSize - 1}`);
  }
  const base = Math.floor(batchLength / worldSize);
  const extra = batchLength % worldSize;
  const start = rank * base + Math.min(rank, extra);
  return { start, end: start + base + (rank < extra ? 1 : 0) };
}

/** The sample indices rank `rank` of `worldSize` computes at step `step` of the epoch whose order is `perm`. */
export function stepSampleIndices(perm: Uint32Array, batchSize: number, step: number, rank: number, worldSize: number): Uint32Array {
  const batch = batchPositions(perm.length, batchSize, step);
  const shard = shardRange(batch.end - batch.start, rank, worldSize);
  // A copy, so that callers cannot scribble on the cached permutation.
  return perm.slice(batch.start + shard.start, batch.start + shard.end);
}

function checkCount(what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${value}`);
}
