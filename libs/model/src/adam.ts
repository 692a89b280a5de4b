// Note [Adam in plain JS]
// The optimizer runs on the all-reduced mean gradient, which is bitwise equal
// on every rank. If the update ran in tfjs, a worker on wasm and one on
// tensorflow-gpu would round differently (fused kernels, FMA, sqrt
// approximations) and the replicas would drift apart step by step. This loop
// uses only IEEE-exact operations (+, -, *, /, Math.sqrt, and integer powers
// by repeated squaring instead of Math.pow, whose last bit is not specified),
// computed in float64 and stored in float32, so every rank computes the same
// bits on any machine.

export interface AdamOptions {
  /** Step size alpha; 1e-3 as in Kingma & Ba. */
  learningRate?: number;
  /** Decay of the first moment; 0.9. */
  beta1?: number;
  /** Decay of the second moment; 0.999. */
  beta2?: number;
  /** Added to sqrt(v-hat) to avoid division by zero; 1e-8. */
  epsilon?: number;
}

export interface AdamState {
  m: Float32Array;
  v: Float32Array;
  t: number;
}

/** base^n for integer n >= 0 by repeated squaring: deterministic, unlike Math.pow. */
function powInt(base: number, n: number): number {
  let result = 1;
  let b = base;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result *= b;
    b *= b;
  }
  return result;
}

export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Number of steps taken so far (the bias correction uses t after the increment). */
  t = 0;
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(
    readonly size: number,
    opts: AdamOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`Adam: size must be a non-negative integer, got ${size}`);
    this.learningRate = opts.learningRate ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    const check = (name: string, v: number, lo: number, hi: number): void => {
      if (!(Number.isFinite(v) && v >= lo && v < hi)) throw new RangeError(`Adam: ${name} must be in [${lo}, ${hi}), got ${v}`);
    };
    check("learningRate", this.learningRate, 0, Infinity);
    check("beta1", this.beta1, 0, 1);
    check("beta2", this.beta2, 0, 1);
    check("epsilon", this.epsilon, 0, Infinity);
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One Kingma & Ba update of `params` in place; see Note [Adam in plain JS]. */
  step(params: Float32Array, meanGrad: Float32Array): void {
    if (params.length !== this.size || meanGrad.length !== this.size) {
      throw new RangeError(`Adam.step: expected params and meanGrad of length ${this.size}, got ${params.length} and ${meanGrad.length}`);
    }
    this.t += 1;
    const { beta1: b1, beta2: b2, epsilon: eps, learningRate: lr, m, v } = this;
    // Bias corrections as reciprocals: one division per element instead of three (the loop is ~5% of a wasm step).
    const ic1 = 1 / (1 - powInt(b1, this.t));
    const ic2 = 1 / (1 - powInt(b2, this.t));
    const omb1 = 1 - b1;
    const omb2 = 1 - b2;
    const n = params.length;
    for (let i = 0; i < n; i++) {
      const g = meanGrad[i]!;
      const mi = b1 * m[i]! + omb1 * g;
      const vi = b2 * v[i]! + omb2 * g * g;
      m[i] = mi; // stored as float32: the state a checkpoint carries
      v[i] = vi;
      params[i] = params[i]! - (lr * mi * ic1) / (Math.sqrt(vi * ic2) + eps);
    }
  }

  /** Restores moments and step count (from a checkpoint or a state transfer); copies the arrays. */
  loadState(s: AdamState): void {
    if (s.m.length !== this.size || s.v.length !== this.size) {
      throw new RangeError(`Adam.loadState: expected m and v of length ${this.size}, got ${s.m.length} and ${s.v.length}`);
    }
    if (!Number.isInteger(s.t) || s.t < 0) throw new RangeError(`Adam.loadState: t must be a non-negative integer, got ${s.t}`);
    this.m.set(s.m);
    this.v.set(s.v);
    this.t = s.t;
  }
}
