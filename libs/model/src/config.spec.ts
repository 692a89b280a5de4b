import { Purpose, Rng } from "@vae/random";
import { describe, expect, it } from "vitest";
import { DEFAULT_VAE_CONFIG, validateVaeConfig } from "./config.ts";
import { initParams } from "./init-params.ts";
import { paramCount, paramLayout } from "./param-layout.ts";

describe("validateVaeConfig", () => {
  it("fills defaults: 784-400-20, Bernoulli, beta 1", () => {
    const c = validateVaeConfig({});
    expect(c).toEqual(DEFAULT_VAE_CONFIG);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("names the field and the value in every rejection", () => {
    expect(() => validateVaeConfig({ architecture: "conv" })).toThrow(/VaeConfig.architecture must be "mlp", got "conv" \(conv is not built yet\)/);
    expect(() => validateVaeConfig({ architecture: "rnn" })).toThrow(/architecture must be "mlp", got "rnn"/);
    expect(() => validateVaeConfig({ inputSize: 0 })).toThrow(/VaeConfig.inputSize must be an integer in \[1, 2\^20\], got 0/);
    expect(() => validateVaeConfig({ hiddenSizes: [400, 2.5] })).toThrow(/VaeConfig.hiddenSizes\[1\] must be an integer .*got 2.5/);
    expect(() => validateVaeConfig({ hiddenSizes: "400" })).toThrow(/hiddenSizes must be an array .*got "400"/);
    expect(() => validateVaeConfig({ decoder: "poisson" })).toThrow(/VaeConfig.decoder must be "bernoulli" or "gaussian", got "poisson"/);
    expect(() => validateVaeConfig({ gaussianStd: 0 })).toThrow(/VaeConfig.gaussianStd must be a finite number > 0, got 0/);
    expect(() => validateVaeConfig({ beta: -1 })).toThrow(/VaeConfig.beta must be a finite number >= 0, got -1/);
    expect(() => validateVaeConfig({ latentSize: 20, latent: 3 })).toThrow(/unknown field "latent"/);
    expect(() => validateVaeConfig(null)).toThrow(/VaeConfig must be an object, got null/);
  });
});

describe("paramLayout", () => {
  it("is the documented fixed order with contiguous offsets", () => {
    const layout = paramLayout(DEFAULT_VAE_CONFIG);
    expect(layout.map((s) => `${s.name}:${s.shape.join("x")}`)).toEqual([
      "enc.0.kernel:784x400",
      "enc.0.bias:400",
      "enc.head.kernel:400x40",
      "enc.head.bias:40",
      "dec.0.kernel:20x400",
      "dec.0.bias:400",
      "dec.out.kernel:400x784",
      "dec.out.bias:784",
    ]);
    let offset = 0;
    for (const s of layout) {
      expect(s.offset).toBe(offset);
      expect(s.size).toBe(s.shape.reduce((a, b) => a * b, 1));
      offset += s.size;
    }
    expect(paramCount(DEFAULT_VAE_CONFIG)).toBe(offset);
    expect(offset).toBe(784 * 400 + 400 + 400 * 40 + 40 + 20 * 400 + 400 + 400 * 784 + 784);
  });

  it("mirrors several hidden layers in the decoder", () => {
    const c = validateVaeConfig({ inputSize: 10, hiddenSizes: [8, 6], latentSize: 2 });
    expect(paramLayout(c).filter((s) => s.name.endsWith("kernel")).map((s) => s.shape)).toEqual([
      [10, 8],
      [8, 6],
      [6, 4],
      [2, 6],
      [6, 8],
      [8, 10],
    ]);
  });
});

describe("initParams", () => {
  const c = DEFAULT_VAE_CONFIG;
  it("is deterministic per seed and differs across seeds", () => {
    const a = initParams(c, 1);
    expect(Buffer.from(a.buffer).equals(Buffer.from(initParams(c, 1).buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(initParams(c, 2).buffer))).toBe(false);
  });

  it("draws Glorot-uniform kernels in layout order from Rng(seed, Init), and zero biases", () => {
    const a = initParams(c, 3);
    const rng = new Rng(3, Purpose.Init);
    const limit0 = Math.sqrt(6 / (784 + 400));
    expect(a[0]).toBe(Math.fround((2 * rng.nextFloat() - 1) * limit0));
    for (const s of paramLayout(c)) {
      const values = a.subarray(s.offset, s.offset + s.size);
      if (s.shape.length === 1) {
        expect(values.every((v) => v === 0)).toBe(true);
        continue;
      }
      const limit = Math.sqrt(6 / (s.shape[0]! + s.shape[1]!));
      let max = 0;
      let sq = 0;
      for (const v of values) {
        max = Math.max(max, Math.abs(v));
        sq += v * v;
      }
      expect(max).toBeLessThanOrEqual(limit);
      expect(max).toBeGreaterThan(0.95 * limit);
      // Uniform(-a, a) has variance a^2 / 3.
      expect(sq / values.length).toBeCloseTo((limit * limit) / 3, 3);
    }
  });
});
