// One model replica: the parameters live as tfjs tensors; everything that
// crosses the model's edge (parameters in, gradients and losses out) is a
// plain Float32Array in the fixed flat layout (Note [Flat parameter layout]).

import * as tf from "@tensorflow/tfjs-core";
import { type VaeConfig, validateVaeConfig } from "./config.ts";
import type { DenseGradient } from "./dense.ts";
import { importanceWeightedLogLikelihood } from "./iw-likelihood.ts";
import { type ParamSpec, paramCount, paramLayout } from "./param-layout.ts";
import { registerVaeGradients } from "./register-gradients.ts";
import { decodeGraph, encodeGraph, lossGraph } from "./vae-graph.ts";

/** Sums over the samples of a call, in nats. */
export interface LossSums {
  count: number;
  total: number;
  reconstruction: number;
  kl: number;
}

export interface PerSampleLoss {
  reconstruction: Float32Array;
  kl: Float32Array;
  total: Float32Array;
}

/** Backends whose tensor upload copies the data at once (so the caller's array may change afterwards). */
const UPLOAD_COPIES = new Set(["wasm"]);

export interface VaeModelOptions {
  /** Backward pass of the dense layers; "fast" by default, see Note [Fast dense gradient]. */
  denseGradient?: DenseGradient;
}

export class VaeModel {
  readonly config: VaeConfig;
  readonly layout: readonly ParamSpec[];
  readonly paramCount: number;
  readonly denseGradient: DenseGradient;
  private params: tf.Tensor[] | null = null;

  constructor(config: VaeConfig, opts: VaeModelOptions = {}) {
    registerVaeGradients(); // see Note [Registered gradients]
    this.config = validateVaeConfig(config);
    this.layout = Object.freeze(paramLayout(this.config));
    this.paramCount = paramCount(this.config);
    this.denseGradient = opts.denseGradient ?? "fast";
    if (this.denseGradient !== "fast" && this.denseGradient !== "autodiff") {
      throw new TypeError(`VaeModel: denseGradient must be "fast" or "autodiff", got ${JSON.stringify(opts.denseGradient)}`);
    }
  }

  /** Uploads flat parameters (copied: later changes to `flat` do not reach the model) and frees the previous ones. */
  setParams(flat: Float32Array): void {
    if (flat.length !== this.paramCount) {
      throw new RangeError(`VaeModel.setParams: expected ${this.paramCount} floats for this config, got ${flat.length}`);
    }
    // cpu and tfjs-node keep a reference to the array they are given, so they get a private copy;
    // wasm copies into its heap at once, so views are enough there (allocation is most of this call's cost).
    const source = UPLOAD_COPIES.has(tf.getBackend()) ? flat : flat.slice();
    const next = this.layout.map((s) => tf.tensor(source.subarray(s.offset, s.offset + s.size), s.shape, "float32"));
    this.disposeParams();
    this.params = next;
  }

  /**
   * Writes into `out` the SUM over the n samples of d(per-sample loss)/d(params)
   * in the flat layout, and returns the loss sums; the caller divides by the
   * global batch size after the all-reduce. Synchronous on purpose: the
   * backends this runs on (cpu, wasm, tfjs-node) read back synchronously, and
   * a single blocking download of one concatenated buffer is the cheapest way
   * out (no promise round trip per step).
   */
  computeGradients(x: Float32Array, eps: Float32Array, out: Float32Array): LossSums {
    const params = this.requireParams("computeGradients");
    const n = this.rows(x, eps, "computeGradients");
    if (out.length !== this.paramCount) {
      throw new RangeError(`VaeModel.computeGradients: out must hold ${this.paramCount} floats, got ${out.length}`);
    }
    if (n === 0) {
      out.fill(0);
      return { count: 0, total: 0, reconstruction: 0, kl: 0 };
    }
    const c = this.config;
    let sums: tf.Tensor | null = null;
    try {
      const flat = tf.tidy(() => {
        const xt = tf.tensor2d(x, [n, c.inputSize]);
        const et = tf.tensor2d(eps, [n, c.latentSize]);
        const { grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
          const terms = lossGraph(c, ps, xt, et, this.denseGradient);
          const rec = tf.sum(terms.reconstruction);
          const kl = tf.sum(terms.kl);
          const total = tf.add(rec, tf.mul(kl, c.beta)) as tf.Scalar;
          // valueAndGrads disposes everything f made but its result; keep the sums for the one download below.
          sums = tf.keep(tf.stack([total, rec, kl]));
          return total;
        })(params);
        return tf.concat([...grads.map((g) => tf.reshape(g, [-1])), sums!]);
      });
      const data = flat.dataSync() as Float32Array;
      flat.dispose();
      out.set(data.subarray(0, this.paramCount));
      const p = this.paramCount;
      return { count: n, total: data[p]!, reconstruction: data[p + 1]!, kl: data[p + 2]! };
    } finally {
      (sums as tf.Tensor | null)?.dispose();
    }
  }

  /** Per-sample loss terms (nats), for evaluation; total = reconstruction + beta * kl. */
  lossPerSample(x: Float32Array, eps: Float32Array): PerSampleLoss {
    const params = this.requireParams("lossPerSample");
    const n = this.rows(x, eps, "lossPerSample");
    const c = this.config;
    if (n === 0) return { reconstruction: new Float32Array(0), kl: new Float32Array(0), total: new Float32Array(0) };
    const data = this.download(() => {
      const t = lossGraph(c, params, tf.tensor2d(x, [n, c.inputSize]), tf.tensor2d(eps, [n, c.latentSize]), "autodiff");
      return tf.concat([t.reconstruction, t.kl, tf.add(t.reconstruction, tf.mul(t.kl, c.beta))]);
    });
    return { reconstruction: data.slice(0, n), kl: data.slice(n, 2 * n), total: data.slice(2 * n) };
  }

  /** Posterior parameters of q(z|x), each n * latentSize, row-major. */
  encode(x: Float32Array): { mu: Float32Array; logVar: Float32Array } {
    const params = this.requireParams("encode");
    const c = this.config;
    const n = this.rowCount(x, c.inputSize, "encode", "x");
    if (n === 0) return { mu: new Float32Array(0), logVar: new Float32Array(0) };
    const data = this.download(() => {
      const { mu, logVar } = encodeGraph(c, params, tf.tensor2d(x, [n, c.inputSize]), "autodiff");
      return tf.concat([tf.reshape(mu, [-1]), tf.reshape(logVar, [-1])]);
    });
    const half = n * c.latentSize;
    return { mu: data.slice(0, half), logVar: data.slice(half) };
  }

  /** Decoder means for z (n * latentSize): Bernoulli probabilities or Gaussian means, both sigmoid(output), in [0, 1]. */
  decode(z: Float32Array): Float32Array {
    const params = this.requireParams("decode");
    const c = this.config;
    const n = this.rowCount(z, c.latentSize, "decode", "z");
    if (n === 0) return new Float32Array(0);
    return this.download(() => tf.sigmoid(decodeGraph(c, params, tf.tensor2d(z, [n, c.latentSize]), "autodiff")));
  }

  /**
   * Importance-weighted estimate of log p(x) per sample (Burda et al. 2016),
   * with k proposals from q(z|x). Row i's proposals come from
   * new Rng(seed, Purpose.Eval, sampleIndices[i]) (default: i), so an estimate
   * does not depend on how a test set is cut into calls.
   */
  logLikelihoodIW(x: Float32Array, k: number, seed: number, sampleIndices?: ArrayLike<number>): Float32Array {
    const params = this.requireParams("logLikelihoodIW");
    const n = this.rowCount(x, this.config.inputSize, "logLikelihoodIW", "x");
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`VaeModel.logLikelihoodIW: k must be a positive integer, got ${k}`);
    if (sampleIndices !== undefined && sampleIndices.length !== n) {
      throw new RangeError(`VaeModel.logLikelihoodIW: sampleIndices has ${sampleIndices.length} entries for ${n} samples`);
    }
    const indices = sampleIndices ?? Array.from({ length: n }, (_, i) => i);
    return importanceWeightedLogLikelihood(this.config, params, x, n, k, seed, indices);
  }

  dispose(): void {
    this.disposeParams();
  }

  private download(f: () => tf.Tensor): Float32Array {
    const t = tf.tidy(f);
    try {
      return t.dataSync() as Float32Array;
    } finally {
      t.dispose();
    }
  }

  private disposeParams(): void {
    if (this.params !== null) for (const t of this.params) t.dispose();
    this.params = null;
  }

  private requireParams(method: string): tf.Tensor[] {
    if (this.params === null) throw new Error(`VaeModel.${method}: no parameters; call setParams first`);
    return this.params;
  }

  private rowCount(a: Float32Array, width: number, method: string, name: string): number {
    if (a.length % width !== 0) {
      throw new RangeError(`VaeModel.${method}: ${name} has ${a.length} floats, not a multiple of ${width}`);
    }
    return a.length / width;
  }

  private rows(x: Float32Array, eps: Float32Array, method: string): number {
    const n = this.rowCount(x, this.config.inputSize, method, "x");
    if (eps.length !== n * this.config.latentSize) {
      throw new RangeError(`VaeModel.${method}: eps has ${eps.length} floats, expected ${n} samples x ${this.config.latentSize} = ${n * this.config.latentSize}`);
    }
    return n;
  }
}
