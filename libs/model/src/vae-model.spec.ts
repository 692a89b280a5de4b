import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { Adam } from "./adam.ts";
import { DEFAULT_VAE_CONFIG, validateVaeConfig } from "./config.ts";
import { initParams } from "./init-params.ts";
import { importanceWeightedLogLikelihood } from "./iw-likelihood.ts";
import { noiseFor } from "./noise.ts";
import { paramLayout } from "./param-layout.ts";
import { selectBackend } from "./select-backend.ts";
import { VaeModel } from "./vae-model.ts";

describe("VaeModel", () => {
  beforeAll(async () => {
    await selectBackend("wasm");
  });

  it("keeps tf.memory().numTensors constant over a compute + Adam + setParams loop", () => {
    const cfg = validateVaeConfig({ inputSize: 784, hiddenSizes: [64], latentSize: 8 });
    const model = new VaeModel(cfg);
    const params = initParams(cfg, 2);
    const adam = new Adam(params.length);
    const grad = new Float32Array(params.length);
    const n = 16;
    const x = new Float32Array(n * cfg.inputSize).map((_, i) => (i % 7 === 0 ? 1 : 0));
    model.setParams(params);
    const counts: number[] = [];
    for (let step = 1; step <= 60; step++) {
      const eps = noiseFor(1, 0, Array.from({ length: n }, (_, i) => step * n + i), cfg.latentSize);
      model.computeGradients(x, eps, grad);
      for (let i = 0; i < grad.length; i++) grad[i]! /= n;
      adam.step(params, grad);
      model.setParams(params);
      if (step === 10 || step === 60) counts.push(tf.memory().numTensors);
      if (step === 30) {
        // The evaluation paths must not leak either.
        model.lossPerSample(x, eps);
        model.encode(x);
        model.decode(new Float32Array(cfg.latentSize * 2));
        model.logLikelihoodIW(x.subarray(0, 2 * cfg.inputSize), 3, 1);
      }
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBe(counts[0]);
    const before = tf.memory().numTensors;
    model.dispose();
    expect(tf.memory().numTensors).toBe(before - paramLayout(cfg).length);
  });

  it("copies parameters on setParams, so later changes to the array do not reach the model", async () => {
    for (const backend of ["cpu", "wasm"] as const) {
      await selectBackend(backend);
      const cfg = validateVaeConfig({ inputSize: 6, hiddenSizes: [3], latentSize: 2 });
      const model = new VaeModel(cfg);
      const params = initParams(cfg, 4);
      const x = Float32Array.from([1, 0, 1, 0, 1, 1]);
      const eps = Float32Array.from([0.3, -0.2]);
      model.setParams(params);
      const before = model.lossPerSample(x, eps).total[0];
      params.fill(0.5);
      expect(model.lossPerSample(x, eps).total[0]).toBe(before);
      model.dispose();
    }
  });

  it("throws a clear error when used before setParams or with a wrong parameter count", () => {
    const model = new VaeModel(DEFAULT_VAE_CONFIG);
    expect(() => model.encode(new Float32Array(784))).toThrow(/VaeModel.encode: no parameters; call setParams first/);
    expect(() => model.setParams(new Float32Array(10))).toThrow(/expected 652824 floats for this config, got 10/);
    expect(() => new VaeModel(DEFAULT_VAE_CONFIG, { denseGradient: "magic" as never })).toThrow(/denseGradient must be "fast" or "autodiff", got "magic"/);
  });

  it("gives the same importance-weighted estimate whatever the chunk size", async () => {
    await selectBackend("wasm");
    const cfg = validateVaeConfig({ inputSize: 20, hiddenSizes: [8], latentSize: 3 });
    const flat = initParams(cfg, 6);
    const params = paramLayout(cfg).map((s) => tf.tensor(flat.slice(s.offset, s.offset + s.size), s.shape));
    const n = 5;
    const indices = [3, 1, 4, 1, 5];
    // Each row's pixels depend on its sample index, so rows 1 and 3 are the same sample.
    const x = new Float32Array(n * cfg.inputSize).map((_, i) => ((i % cfg.inputSize) % indices[Math.floor(i / cfg.inputSize)]! === 0 ? 1 : 0));
    const oneShot = importanceWeightedLogLikelihood(cfg, params, x, n, 7, 2, indices);
    // 40 floats per chunk: 2 samples per block and 1 proposal per pass.
    const chunked = importanceWeightedLogLikelihood(cfg, params, x, n, 7, 2, indices, 40);
    tf.dispose(params);
    for (let i = 0; i < n; i++) expect(chunked[i]).toBeCloseTo(oneShot[i]!, 4);
    // Rows 1 and 3 are sample 1 twice: same proposals, same estimate; the others differ.
    expect(oneShot[3]).toBeCloseTo(oneShot[1]!, 5);
    expect(new Set(Array.from(oneShot, (v) => v.toFixed(3))).size).toBe(4);
  });
});
