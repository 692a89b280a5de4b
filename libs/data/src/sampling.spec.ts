import { describe, expect, it } from "vitest";
import { batchPositions, epochPermutation, shardRange, stepSampleIndices, stepsPerEpoch } from "./sampling.ts";

describe("epochPermutation", () => {
  it("is a function of (seed, epoch) and differs across epochs and seeds", () => {
    const a = Array.from(epochPermutation(7, 3, 500));
    epochPermutation(7, 4, 500); // evict the cache
    expect(Array.from(epochPermutation(7, 3, 500))).toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(500).keys()]);
    expect(Array.from(epochPermutation(7, 4, 500))).not.toEqual(a);
    expect(Array.from(epochPermutation(8, 3, 500))).not.toEqual(a);
  });

  it("returns the cached array for a repeated request", () => {
    const p = epochPermutation(1, 0, 100);
    expect(epochPermutation(1, 0, 100)).toBe(p);
    expect(epochPermutation(1, 0, 101)).not.toBe(p);
  });
});

describe("steps and positions", () => {
  it("counts the last partial batch as a step", () => {
    expect(stepsPerEpoch(60000, 128)).toBe(469);
    expect(batchPositions(60000, 128, 468)).toEqual({ start: 59904, end: 60000 });
    expect(stepsPerEpoch(256, 128)).toBe(2);
    expect(batchPositions(256, 128, 1)).toEqual({ start: 128, end: 256 });
    expect(stepsPerEpoch(0, 128)).toBe(0);
  });

  it("rejects out-of-range arguments", () => {
    expect(() => batchPositions(256, 128, 2)).toThrow(/step 2 is outside 0..1/);
    expect(() => stepsPerEpoch(10, 0)).toThrow(/batchSize must be an integer >= 1, got 0/);
    expect(() => shardRange(10, 3, 3)).toThrow(/rank 3 is outside 0..2/);
  });

  it("splits a batch contiguously, the first length % W ranks taking one more", () => {
    expect([0, 1, 2].map((r) => shardRange(10, r, 3))).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 7 },
      { start: 7, end: 10 },
    ]);
    // More ranks than samples: the tail ranks get empty shares.
    expect([0, 1, 2, 3].map((r) => shardRange(2, r, 4))).toEqual([
      { start: 0, end: 1 },
      { start: 1, end: 2 },
      { start: 2, end: 2 },
      { start: 2, end: 2 },
    ]);
  });
});

describe("stepSampleIndices", () => {
  // n = 103 is prime, so no batch size below divides it; 103 itself and 200 (> n) are the
  // one-step cases; batch 3 < W = 4, 5 gives ranks with empty shares.
  const n = 103;
  const perm = epochPermutation(11, 2, n);
  for (const batchSize of [1, 3, 10, 32, 103, 200]) {
    for (let worldSize = 1; worldSize <= 5; worldSize++) {
      it(`covers the epoch exactly once with B=${batchSize}, W=${worldSize}`, () => {
        const seen: number[] = [];
        const steps = stepsPerEpoch(n, batchSize);
        for (let step = 0; step < steps; step++) {
          const { start, end } = batchPositions(n, batchSize, step);
          const batch: number[] = [];
          for (let rank = 0; rank < worldSize; rank++) batch.push(...stepSampleIndices(perm, batchSize, step, rank, worldSize));
          // Concatenated in rank order, the shares are exactly the step's slice of the permutation.
          expect(batch).toEqual(Array.from(perm.subarray(start, end)));
          seen.push(...batch);
        }
        expect(seen).toEqual(Array.from(perm));
        expect(new Set(seen).size).toBe(n);
      });
    }
  }

  it("returns a copy that cannot alter the cached permutation", () => {
    const p = epochPermutation(11, 2, n);
    const first = p[0];
    const idx = stepSampleIndices(p, 10, 0, 0, 1);
    idx[0] = 9999;
    expect(epochPermutation(11, 2, n)[0]).toBe(first);
  });
});
