import { describe, expect, it } from "vitest";
import { Purpose, Rng, hashKey, permutation } from "./rng.ts";

describe("Rng", () => {
  it("is a pure function of its key", () => {
    const a = new Rng(42, Purpose.Noise, 3, 17);
    const b = new Rng(42, Purpose.Noise, 3, 17);
    for (let i = 0; i < 100; i++) expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it("gives different streams for neighbouring keys", () => {
    const seen = new Set<number>();
    for (let k = 0; k < 1000; k++) seen.add(new Rng(1, Purpose.Noise, 0, k).nextUint32());
    expect(seen.size).toBe(1000);
    expect(hashKey([1, 2])).not.toBe(hashKey([2, 1]));
    expect(hashKey([2 ** 32 + 5])).not.toBe(hashKey([5]));
  });

  it("draws normals with mean 0 and variance 1", () => {
    const rng = new Rng(7);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.nextNormal();
      sum += x;
      sq += x * x;
    }
    const mean = sum / n;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sq / n - mean * mean - 1)).toBeLessThan(0.015);
  });

  it("draws integers below n without bias", () => {
    const rng = new Rng(9);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.nextInt(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(() => rng.nextInt(0)).toThrow(/nextInt/);
  });
});

describe("permutation", () => {
  it("holds every index exactly once", () => {
    const p = permutation(1000, new Rng(3));
    expect([...p].sort((x, y) => x - y)).toEqual([...Array(1000).keys()]);
    expect([...p]).not.toEqual([...Array(1000).keys()]);
  });
});
