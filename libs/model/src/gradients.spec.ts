// The gradient is what the cluster all-reduces, so it gets the strictest tests:
// the fast dense backward against tfjs autodiff, both against finite
// differences, and additivity over disjoint shards (the data-parallel identity).
import { Rng } from "@vae/random";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_VAE_CONFIG, type VaeConfig, validateVaeConfig } from "./config.ts";
import type { DenseGradient } from "./dense.ts";
import { initParams } from "./init-params.ts";
import { noiseFor } from "./noise.ts";
import { paramCount } from "./param-layout.ts";
import { selectBackend } from "./select-backend.ts";
import { VaeModel } from "./vae-model.ts";

function batch(cfg: VaeConfig, n: number, seed: number, binary: boolean): { x: Float32Array; eps: Float32Array } {
  const rng = new Rng(seed);
  // Sparse bright strokes, like MNIST; grey levels when not binary.
  const x = new Float32Array(n * cfg.inputSize).map(() => (rng.nextFloat() < 0.2 ? (binary ? 1 : rng.nextFloat()) : 0));
  return { x, eps: noiseFor(seed, 0, Array.from({ length: n }, (_, i) => i), cfg.latentSize) };
}

function gradient(cfg: VaeConfig, mode: DenseGradient, params: Float32Array, x: Float32Array, eps: Float32Array): Float32Array {
  const model = new VaeModel(cfg, { denseGradient: mode });
  model.setParams(params);
  const out = new Float32Array(paramCount(cfg));
  model.computeGradients(x, eps, out);
  model.dispose();
  return out;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe.each(["cpu", "wasm"] as const)("fast dense gradient on %s", (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  it("equals autodiff on the real-size 784-400-20 model", () => {
    const cfg = DEFAULT_VAE_CONFIG;
    const params = initParams(cfg, 11);
    const { x, eps } = batch(cfg, 16, 5, true);
    const fast = gradient(cfg, "fast", params, x, eps);
    const auto = gradient(cfg, "autodiff", params, x, eps);
    const scale = maxAbs(auto);
    expect(scale).toBeGreaterThan(1); // a real, non-vanishing gradient
    expect(maxAbsDiff(fast, auto)).toBeLessThanOrEqual(1e-5 * scale);
  });

  it("equals autodiff with two hidden layers and the Gaussian decoder", () => {
    const cfg = validateVaeConfig({ inputSize: 50, hiddenSizes: [32, 16], latentSize: 4, decoder: "gaussian", gaussianStd: 0.3 });
    const params = initParams(cfg, 3);
    const { x, eps } = batch(cfg, 8, 9, false);
    const fast = gradient(cfg, "fast", params, x, eps);
    const auto = gradient(cfg, "autodiff", params, x, eps);
    expect(maxAbsDiff(fast, auto)).toBeLessThanOrEqual(1e-5 * maxAbs(auto));
  });
});

describe("gradient against finite differences (cpu, float32)", () => {
  beforeAll(async () => {
    await selectBackend("cpu");
  });

  const cases: Array<[string, VaeConfig]> = [
    ["bernoulli", validateVaeConfig({ inputSize: 5, hiddenSizes: [4], latentSize: 2, beta: 0.7 })],
    ["gaussian", validateVaeConfig({ inputSize: 5, hiddenSizes: [4], latentSize: 2, decoder: "gaussian", gaussianStd: 0.8 })],
  ];
  for (const [name, cfg] of cases) {
    for (const mode of ["fast", "autodiff"] as const) {
      it(`matches central differences of the summed total (${name}, ${mode})`, () => {
        const params = initParams(cfg, 21);
        // Non-zero biases so that every parameter's gradient is exercised.
        const rng = new Rng(99);
        for (let i = 0; i < params.length; i++) params[i] = params[i]! + 0.2 * (rng.nextFloat() - 0.5);
        const { x, eps } = batch(cfg, 3, 4, false);
        const model = new VaeModel(cfg, { denseGradient: mode });
        model.setParams(params);
        const grad = new Float32Array(params.length);
        model.computeGradients(x, eps, grad);
        const lossAt = (p: Float32Array): number => {
          model.setParams(p);
          return model.lossPerSample(x, eps).total.reduce((a, b) => a + b, 0);
        };
        const h = 1e-2;
        const worst = { err: 0, i: -1 };
        for (let i = 0; i < params.length; i++) {
          const p = params.slice();
          p[i] = params[i]! + h;
          const up = lossAt(p);
          p[i] = params[i]! - h;
          const down = lossAt(p);
          const fd = (up - down) / (2 * h);
          const err = Math.abs(fd - grad[i]!) / Math.max(1, Math.abs(fd));
          if (err > worst.err) Object.assign(worst, { err, i });
        }
        model.dispose();
        expect(worst.err, `parameter ${worst.i}`).toBeLessThan(5e-4);
      });
    }
  }
});

describe("data-parallel identities (wasm)", () => {
  const cfg = DEFAULT_VAE_CONFIG;
  let model: VaeModel;
  beforeAll(async () => {
    await selectBackend("wasm");
    model = new VaeModel(cfg);
    model.setParams(initParams(cfg, 5));
  });
  afterAll(() => model.dispose());

  it("gradient(A ∪ B) = gradient(A) + gradient(B), with loss sums adding up", () => {
    const { x, eps } = batch(cfg, 24, 13, true);
    const split = 10; // an uneven split, as with 3 workers on 24 samples
    const D = cfg.inputSize;
    const L = cfg.latentSize;
    const whole = new Float32Array(model.paramCount);
    const a = new Float32Array(model.paramCount);
    const b = new Float32Array(model.paramCount);
    const sAll = model.computeGradients(x, eps, whole);
    const sA = model.computeGradients(x.subarray(0, split * D), eps.subarray(0, split * L), a);
    const sB = model.computeGradients(x.subarray(split * D), eps.subarray(split * L), b);
    const sum = a.map((v, i) => v + b[i]!);
    expect(maxAbsDiff(sum, whole)).toBeLessThanOrEqual(2e-6 * maxAbs(whole));
    expect(sA.count + sB.count).toBe(sAll.count);
    expect(sA.total + sB.total).toBeCloseTo(sAll.total, 1);
    expect(sA.kl + sB.kl).toBeCloseTo(sAll.kl, 2);
  });

  it("zero samples give a zero gradient and zero sums", () => {
    const out = new Float32Array(model.paramCount).fill(7);
    const sums = model.computeGradients(new Float32Array(0), new Float32Array(0), out);
    expect(sums).toEqual({ count: 0, total: 0, reconstruction: 0, kl: 0 });
    expect(maxAbs(out)).toBe(0);
  });

  it("rejects buffers of the wrong size, naming the sizes", () => {
    const out = new Float32Array(model.paramCount);
    expect(() => model.computeGradients(new Float32Array(785), new Float32Array(20), out)).toThrow(/x has 785 floats, not a multiple of 784/);
    expect(() => model.computeGradients(new Float32Array(784), new Float32Array(19), out)).toThrow(/eps has 19 floats, expected 1 samples x 20 = 20/);
    expect(() => model.computeGradients(new Float32Array(784), new Float32Array(20), new Float32Array(3))).toThrow(/out must hold 652824 floats, got 3/);
  });
});
