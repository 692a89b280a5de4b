import { describe, expect, it } from "vitest";
import type { ImageSet } from "./datasets.ts";
import { gatherImages } from "./gather.ts";
import { epochPermutation, stepSampleIndices, stepsPerEpoch } from "./sampling.ts";

// 50 images of 4x5 with pixels spread over 0..255, including both extremes.
const set: ImageSet = {
  count: 50,
  rows: 4,
  cols: 5,
  pixels: Uint8Array.from({ length: 50 * 20 }, (_, i) => (i * 53) % 256),
};
const px = 20;

describe("gatherImages", () => {
  it("scales the chosen images to [0, 1] in the order given", () => {
    const out = gatherImages(set, [7, 0, 49]);
    expect(out.length).toBe(3 * px);
    for (const [k, index] of [7, 0, 49].entries()) {
      for (let i = 0; i < px; i++) expect(out[k * px + i]).toBe(Math.fround(set.pixels[index * px + i]! / 255));
    }
  });

  it("writes into a larger out buffer and returns its prefix", () => {
    const out = new Float32Array(10 * px).fill(-1);
    const res = gatherImages(set, [3, 4], out);
    expect(res.buffer).toBe(out.buffer);
    expect(res.length).toBe(2 * px);
    expect(out[2 * px]).toBe(-1);
    expect(() => gatherImages(set, [1, 2], new Float32Array(px))).toThrow(/out holds 20 floats, 2 images of 4x5 need 40/);
    expect(() => gatherImages(set, [50])).toThrow(/index 50 at position 0 is outside 0..49/);
  });

  it("binarizes to 0/1 with probability pixel/255: 0 and 255 are fixed, the mean follows p", () => {
    const indices = [...Array(50).keys()];
    let ones = 0;
    let expected = 0;
    const epochs = 40;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const out = gatherImages(set, indices, undefined, { seed: 5, epoch });
      for (let i = 0; i < out.length; i++) {
        const p = set.pixels[i]!;
        expect(out[i] === 0 || out[i] === 1).toBe(true);
        if (p === 0) expect(out[i]).toBe(0);
        if (p === 255) expect(out[i]).toBe(1);
        ones += out[i]!;
        expected += p / 255;
      }
    }
    // 40000 Bernoulli draws: the standard deviation of the count is below 100.
    expect(Math.abs(ones - expected)).toBeLessThan(400);
  });

  it("binarizes a sample the same whatever the split, and differently in another epoch", () => {
    const seed = 9;
    const epoch = 1;
    const batchSize = 16;
    const perm = epochPermutation(seed, epoch, set.count);
    const whole = gatherImages(set, perm, undefined, { seed, epoch });
    for (let worldSize = 1; worldSize <= 5; worldSize++) {
      const parts: number[] = [];
      for (let step = 0; step < stepsPerEpoch(set.count, batchSize); step++) {
        for (let rank = 0; rank < worldSize; rank++) {
          parts.push(...gatherImages(set, stepSampleIndices(perm, batchSize, step, rank, worldSize), undefined, { seed, epoch }));
        }
      }
      expect(parts).toEqual(Array.from(whole));
    }
    expect(Array.from(gatherImages(set, perm, undefined, { seed, epoch: epoch + 1 }))).not.toEqual(Array.from(whole));
  });
});
