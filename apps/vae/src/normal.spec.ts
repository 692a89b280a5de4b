import { describe, expect, it } from "vitest";
import { latentGridPoints, normalQuantile, quantileAxis } from "./normal.ts";

// Standard normal CDF by numerical integration (Simpson), independent of the code under test.
function cdf(x: number): number {
  const n = 4000;
  const a = -12;
  const h = (x - a) / n;
  const f = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  let s = f(a) + f(x);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

describe("normalQuantile", () => {
  it("inverts the normal CDF across the range, tails included", () => {
    for (const p of [1e-6, 0.001, 0.02, 0.0243, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 0.999]) {
      expect(cdf(normalQuantile(p))).toBeCloseTo(p, 7);
    }
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(() => normalQuantile(0)).toThrow(/p must be in \(0, 1\), got 0/);
  });

  it("builds a symmetric, increasing axis that stays finite", () => {
    const axis = quantileAxis(20);
    for (let i = 0; i < 20; i++) {
      expect(axis[i]).toBeCloseTo(-axis[19 - i]!, 9);
      if (i > 0) expect(axis[i]!).toBeGreaterThan(axis[i - 1]!);
    }
    expect(axis[0]).toBeCloseTo(normalQuantile(0.025), 12);
  });

  it("lays the grid out as the figure reads: z1 left to right, z2 bottom to top", () => {
    const size = 3;
    const axis = quantileAxis(size);
    const z = latentGridPoints(size);
    expect(z.length).toBe(size * size * 2);
    expect([z[0], z[1]]).toEqual([Math.fround(axis[0]!), Math.fround(axis[2]!)]); // top-left: low z1, high z2
    const last = size * size - 1;
    expect([z[2 * last], z[2 * last + 1]]).toEqual([Math.fround(axis[2]!), Math.fround(axis[0]!)]);
  });
});
