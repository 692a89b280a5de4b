// Importance-weighted log-likelihood (Burda, Grosse & Salakhutdinov 2016):
//   log p(x) ~= log (1/k) sum_j p(x|z_j) p(z_j) / q(z_j|x),  z_j ~ q(z|x),
// a lower bound that tightens as k grows (k = 1 is the ELBO). Proposals are
// decoded in chunks so memory stays bounded for any k, and the log-mean-exp
// is accumulated in float64 across chunks.

import * as tf from "@tensorflow/tfjs-core";
import { Purpose, Rng } from "@vae/random";
import type { VaeConfig } from "./config.ts";
import { logStandardNormal } from "./loss.ts";
import { decodeGraph, encodeGraph, reconstructionGraph } from "./vae-graph.ts";

/** Upper bound on the floats of one [rows, inputSize] tensor in a chunk (8 MiB). */
const MAX_CHUNK_FLOATS = 1 << 21;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export function importanceWeightedLogLikelihood(
  c: VaeConfig,
  params: tf.Tensor[],
  x: Float32Array,
  n: number,
  k: number,
  seed: number,
  sampleIndices: ArrayLike<number>,
  maxChunkFloats = MAX_CHUNK_FLOATS,
): Float32Array {
  const D = c.inputSize;
  const L = c.latentSize;
  const out = new Float32Array(n);
  const maxRows = Math.max(1, Math.floor(maxChunkFloats / D));
  for (let s0 = 0; s0 < n; s0 += maxRows) {
    const nb = Math.min(maxRows, n - s0);
    const perPass = Math.max(1, Math.floor(maxRows / nb)); // proposals per sample per decoder pass
    const rngs = Array.from({ length: nb }, (_, i) => new Rng(seed, Purpose.Eval, sampleIndices[s0 + i]!));
    const maxLw = new Float64Array(nb).fill(-Infinity);
    const sumExp = new Float64Array(nb);
    const xb = tf.tensor2d(x.subarray(s0 * D, (s0 + nb) * D), [nb, D]);
    const [mu, logVar] = tf.tidy(() => {
      const e = encodeGraph(c, params, xb, "autodiff");
      return [e.mu, e.logVar];
    });
    try {
      for (let j0 = 0; j0 < k; j0 += perPass) {
        const kc = Math.min(perPass, k - j0);
        // Row j*nb + i holds proposal j0+j of sample i; each sample's stream is read in proposal order, so chunking never changes it.
        const eps = new Float32Array(kc * nb * L);
        for (let j = 0; j < kc; j++) for (let i = 0; i < nb; i++) rngs[i]!.fillNormal(eps, (j * nb + i) * L, L);
        const lw = tf.tidy(() => {
          const e = tf.tensor2d(eps, [kc * nb, L]);
          const lv = tf.tile(logVar, [kc, 1]);
          const z = tf.add(tf.tile(mu, [kc, 1]), tf.mul(tf.exp(tf.mul(lv, 0.5)), e)) as tf.Tensor2D;
          const logPxGivenZ = tf.neg(reconstructionGraph(c, decodeGraph(c, params, z, "autodiff"), tf.tile(xb, [kc, 1])));
          // log q(z|x) = log N(eps; 0, I) - 0.5 * sum(logVar), since z - mu = sigma * eps.
          const logQ = tf.sub(tf.mul(tf.sum(tf.add(tf.square(e), lv), 1), -0.5), L * HALF_LOG_2PI);
          return tf.sub(tf.add(logPxGivenZ, logStandardNormal(z)), logQ);
        });
        const w = lw.dataSync();
        lw.dispose();
        for (let r = 0; r < w.length; r++) {
          const i = r % nb;
          const v = w[r]!;
          if (v === -Infinity) continue; // a zero weight adds nothing (and -Inf - -Inf would be NaN)
          if (v > maxLw[i]!) {
            sumExp[i] = sumExp[i]! * Math.exp(maxLw[i]! - v) + 1;
            maxLw[i] = v;
          } else {
            sumExp[i] = sumExp[i]! + Math.exp(v - maxLw[i]!);
          }
        }
      }
    } finally {
      tf.dispose([xb, mu, logVar]);
    }
    for (let i = 0; i < nb; i++) out[s0 + i] = maxLw[i]! + Math.log(sumExp[i]!) - Math.log(k);
  }
  return out;
}
