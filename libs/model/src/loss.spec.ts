// The loss of a hand-set tiny VAE (3 inputs, hidden [2], latent 1) against
// arithmetic written out here in plain JS, independent of the model code.
import { Purpose, Rng } from "@vae/random";
import { beforeAll, describe, expect, it } from "vitest";
import { type VaeConfig, validateVaeConfig } from "./config.ts";
import { paramCount, paramLayout } from "./param-layout.ts";
import { selectBackend } from "./select-backend.ts";
import { VaeModel } from "./vae-model.ts";

const TINY: VaeConfig = validateVaeConfig({ inputSize: 3, hiddenSizes: [2], latentSize: 1 });

// Hand-set parameters, per layer, kernels row-major [fanIn, fanOut].
const W1 = [
  [0.5, -0.25],
  [0.75, 0.5],
  [-0.5, 1.0],
];
const B1 = [0.1, -0.2];
const W2 = [
  [0.3, -0.4], // columns: mu, logVar
  [-0.6, 0.2],
];
const B2 = [0.05, -0.1];
const W3 = [[1.5, -0.8]];
const B3 = [0.2, 0.3];
const W4 = [
  [0.9, -1.1, 0.4],
  [-0.7, 0.6, 1.3],
];
const B4 = [0.0, 0.1, -0.2];

function flatParams(): Float32Array {
  const flat = new Float32Array(paramCount(TINY));
  const values: Record<string, number[]> = {
    "enc.0.kernel": W1.flat(),
    "enc.0.bias": B1,
    "enc.head.kernel": W2.flat(),
    "enc.head.bias": B2,
    "dec.0.kernel": W3.flat(),
    "dec.0.bias": B3,
    "dec.out.kernel": W4.flat(),
    "dec.out.bias": B4,
  };
  for (const spec of paramLayout(TINY)) flat.set(values[spec.name]!, spec.offset);
  return flat;
}

const relu = (v: number): number => Math.max(v, 0);

/** Plain-JS encoder of the tiny model. */
function encodeByHand(x: number[]): { mu: number; logVar: number } {
  const h = [0, 1].map((j) => relu(x[0]! * W1[0]![j]! + x[1]! * W1[1]![j]! + x[2]! * W1[2]![j]! + B1[j]!));
  return {
    mu: h[0]! * W2[0]![0]! + h[1]! * W2[1]![0]! + B2[0]!,
    logVar: h[0]! * W2[0]![1]! + h[1]! * W2[1]![1]! + B2[1]!,
  };
}

/** Plain-JS decoder of the tiny model: logits for one z. */
function decodeByHand(z: number): number[] {
  const h2 = [0, 1].map((j) => relu(z * W3[0]![j]! + B3[j]!));
  return [0, 1, 2].map((k) => h2[0]! * W4[0]![k]! + h2[1]! * W4[1]![k]! + B4[k]!);
}

/** Binary cross-entropy written the naive way: -[x log p + (1 - x) log(1 - p)], p = sigmoid(l). */
function bceByHand(x: number[], logits: number[]): number {
  let rec = 0;
  logits.forEach((l, k) => {
    const p = 1 / (1 + Math.exp(-l));
    rec -= x[k]! * Math.log(p) + (1 - x[k]!) * Math.log(1 - p);
  });
  return rec;
}

/** Plain-JS loss of the tiny model for one sample. */
function byHand(x: number[], eps: number, beta = 1): { rec: number; kl: number; total: number; logits: number[] } {
  const { mu, logVar } = encodeByHand(x);
  const logits = decodeByHand(mu + Math.exp(0.5 * logVar) * eps);
  const rec = bceByHand(x, logits);
  const kl = -0.5 * (1 + logVar - mu * mu - Math.exp(logVar));
  return { rec, kl, total: rec + beta * kl, logits };
}

describe("loss of a hand-set tiny VAE", () => {
  beforeAll(async () => {
    await selectBackend("cpu");
  });

  const xs = [
    [1, 0, 1],
    [0.2, 0.9, 0.5], // grey levels: BCE against non-binary targets
  ];
  const eps = [0.7, -1.3];

  it("matches the arithmetic per sample (Bernoulli decoder)", () => {
    const model = new VaeModel(TINY);
    model.setParams(flatParams());
    const out = model.lossPerSample(Float32Array.from(xs.flat()), Float32Array.from(eps));
    xs.forEach((x, i) => {
      const want = byHand(x, eps[i]!);
      expect(out.kl[i]).toBeCloseTo(want.kl, 5);
      expect(out.reconstruction[i]).toBeCloseTo(want.rec, 5);
      expect(out.total[i]).toBeCloseTo(want.total, 5);
    });
    model.dispose();
  });

  it("weights KL by beta and sums over samples in computeGradients", () => {
    const cfg = validateVaeConfig({ ...TINY, beta: 0.25 });
    const model = new VaeModel(cfg);
    model.setParams(flatParams());
    const sums = model.computeGradients(Float32Array.from(xs.flat()), Float32Array.from(eps), new Float32Array(paramCount(cfg)));
    const want = xs.map((x, i) => byHand(x, eps[i]!, 0.25));
    expect(sums.count).toBe(2);
    expect(sums.reconstruction).toBeCloseTo(want[0]!.rec + want[1]!.rec, 5);
    expect(sums.kl).toBeCloseTo(want[0]!.kl + want[1]!.kl, 5);
    expect(sums.total).toBeCloseTo(want[0]!.total + want[1]!.total, 5);
    model.dispose();
  });

  it("gives the Gaussian NLL with mean sigmoid(output) and the configured std", () => {
    const std = 0.5;
    const cfg = validateVaeConfig({ ...TINY, decoder: "gaussian", gaussianStd: std });
    const model = new VaeModel(cfg);
    model.setParams(flatParams());
    const out = model.lossPerSample(Float32Array.from(xs.flat()), Float32Array.from(eps));
    xs.forEach((x, i) => {
      const { logits, kl } = byHand(x, eps[i]!);
      let nll = 0;
      logits.forEach((l, k) => {
        const mean = 1 / (1 + Math.exp(-l));
        nll += (0.5 * (x[k]! - mean) ** 2) / std ** 2 + Math.log(std) + 0.5 * Math.log(2 * Math.PI);
      });
      expect(out.reconstruction[i]).toBeCloseTo(nll, 5);
      expect(out.total[i]).toBeCloseTo(nll + kl, 5);
    });
    model.dispose();
  });

  it("is stable for large logits (no NaN or Infinity where naive BCE overflows)", () => {
    const model = new VaeModel(TINY);
    const flat = flatParams();
    const out = paramLayout(TINY).find((s) => s.name === "dec.out.bias")!;
    flat.set([200, -200, 90], out.offset);
    model.setParams(flat);
    const loss = model.lossPerSample(Float32Array.from([0, 1, 1]), Float32Array.from([0]));
    // The logits are within ~10 of the biases, so the loss is close to 200 + 200 + 0.
    expect(Number.isFinite(loss.reconstruction[0])).toBe(true);
    expect(loss.reconstruction[0]).toBeGreaterThan(380);
    expect(loss.reconstruction[0]).toBeLessThan(420);
    model.dispose();
  });

  it("estimates log p(x) by importance weighting with proposals from Rng(seed, Eval, index)", () => {
    const model = new VaeModel(TINY);
    model.setParams(flatParams());
    const k = 5;
    const seed = 8;
    const indices = [40, 41];
    const got = model.logLikelihoodIW(Float32Array.from(xs.flat()), k, seed, indices);
    xs.forEach((x, i) => {
      const { mu, logVar } = encodeByHand(x);
      const rng = new Rng(seed, Purpose.Eval, indices[i]!);
      const logW: number[] = [];
      for (let j = 0; j < k; j++) {
        const e = rng.nextNormal();
        const z = mu + Math.exp(0.5 * logVar) * e;
        const logPz = -0.5 * z * z - 0.5 * Math.log(2 * Math.PI);
        const logQ = -0.5 * e * e - 0.5 * logVar - 0.5 * Math.log(2 * Math.PI);
        logW.push(-bceByHand(x, decodeByHand(z)) + logPz - logQ);
      }
      const m = Math.max(...logW);
      const want = m + Math.log(logW.reduce((a, w) => a + Math.exp(w - m), 0) / k);
      expect(got[i]).toBeCloseTo(want, 4);
    });
    // One sample at a time gives the same numbers: the estimate does not depend on how a test set is cut.
    const alone = model.logLikelihoodIW(Float32Array.from(xs[1]!), k, seed, [indices[1]!]);
    expect(alone[0]).toBeCloseTo(got[1]!, 5);
    model.dispose();
  });

  it("encodes and decodes like the arithmetic", () => {
    const model = new VaeModel(TINY);
    model.setParams(flatParams());
    const { mu, logVar } = model.encode(Float32Array.from(xs.flat()));
    xs.forEach((x, i) => {
      expect(mu[i]).toBeCloseTo(encodeByHand(x).mu, 5);
      expect(logVar[i]).toBeCloseTo(encodeByHand(x).logVar, 5);
    });
    const probs = model.decode(Float32Array.from([-0.4, 1.2]));
    [-0.4, 1.2].forEach((z, i) => {
      decodeByHand(z).forEach((l, kk) => expect(probs[i * 3 + kk]).toBeCloseTo(1 / (1 + Math.exp(-l)), 5));
    });
    model.dispose();
  });
});
