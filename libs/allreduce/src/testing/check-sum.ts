// Shared assertions for all-reduce tests: the result is the float64 sum within
// a rounding bound, and bitwise identical on every rank.
import { Rng } from "@vae/random";

/** One seeded N(0, scale²) buffer per rank. */
export function randomInputs(worldSize: number, length: number, seed: number, scale = 1): Float32Array[] {
  return Array.from({ length: worldSize }, (_, r) => {
    const x = new Rng(seed, 900, r).fillNormal(new Float32Array(length));
    for (let i = 0; i < length; i++) x[i] *= scale;
    return x;
  });
}

/**
 * Returns a description of the first problem, or null: a rank whose bits
 * differ from rank 0's, or an element further from the float64 sum than
 * `relTol`·Σ|x| + `absTol`.
 */
export function sumProblem(inputs: Float32Array[], results: Float32Array[], relTol: number, absTol = 0): string | null {
  const ref = Buffer.from(results[0].buffer, results[0].byteOffset, results[0].byteLength);
  for (let r = 1; r < results.length; r++) {
    const b = Buffer.from(results[r].buffer, results[r].byteOffset, results[r].byteLength);
    if (!ref.equals(b)) return `rank ${r}'s result is not bitwise identical to rank 0's`;
  }
  const n = results[0].length;
  for (let i = 0; i < n; i++) {
    let exact = 0;
    let abs = 0;
    for (const x of inputs) {
      exact += x[i];
      abs += Math.abs(x[i]);
    }
    const err = Math.abs(results[0][i] - exact);
    if (!(err <= relTol * abs + absTol)) {
      return `element ${i}: got ${results[0][i]}, float64 sum ${exact}, error ${err} > ${relTol} * ${abs} + ${absTol}`;
    }
  }
  return null;
}
