import { describe, expect, it } from "vitest";
import { noiseFor } from "./noise.ts";

const L = 20;

function row(a: Float32Array, i: number): number[] {
  return Array.from(a.subarray(i * L, (i + 1) * L));
}

describe("noiseFor", () => {
  it("is a pure function of (seed, epoch, sample index)", () => {
    const a = noiseFor(7, 3, [5, 9, 2], L);
    const b = noiseFor(7, 3, [5, 9, 2], L);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(a.length).toBe(3 * L);
  });

  it("changes with the epoch, the index and the seed", () => {
    const base = row(noiseFor(7, 3, [5], L), 0);
    expect(row(noiseFor(7, 4, [5], L), 0)).not.toEqual(base);
    expect(row(noiseFor(7, 3, [6], L), 0)).not.toEqual(base);
    expect(row(noiseFor(8, 3, [5], L), 0)).not.toEqual(base);
  });

  it("gives a sample the same row whatever else is in its batch (any split reproduces batch B)", () => {
    const whole = noiseFor(1, 0, [10, 11, 12, 13, 14, 15, 16], L);
    const shardA = noiseFor(1, 0, [13, 10], L);
    const shardB = noiseFor(1, 0, [16, 12, 15, 11, 14], L);
    expect(row(shardA, 0)).toEqual(row(whole, 3));
    expect(row(shardA, 1)).toEqual(row(whole, 0));
    expect(row(shardB, 0)).toEqual(row(whole, 6));
    expect(row(shardB, 4)).toEqual(row(whole, 4));
  });

  it("draws standard normals", () => {
    const eps = noiseFor(2, 0, Array.from({ length: 2000 }, (_, i) => i), L);
    let sum = 0;
    let sq = 0;
    for (const e of eps) {
      sum += e;
      sq += e * e;
    }
    expect(Math.abs(sum / eps.length)).toBeLessThan(0.02);
    expect(Math.abs(sq / eps.length - 1)).toBeLessThan(0.03);
  });
});
