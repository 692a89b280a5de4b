import { describe, expect, it } from "vitest";
import { firstNonFinite } from "./schema.ts";

describe("firstNonFinite", () => {
  it("finds the first NaN or infinity at any position and accepts the extremes of the finite range", () => {
    for (const n of [1, 3, 4, 5, 17]) {
      for (let bad = 0; bad < n; bad++) {
        for (const value of [NaN, Infinity, -Infinity]) {
          const a = new Float32Array(n).fill(3.4028234663852886e38);
          a[bad] = value;
          if (bad + 1 < n) a[n - 1] = NaN; // a later one must not win
          expect(firstNonFinite(a)).toBe(bad);
        }
      }
      expect(firstNonFinite(new Float32Array(n).fill(-3.4028234663852886e38))).toBe(-1);
      expect(firstNonFinite(new Float32Array(n).fill(1e-45))).toBe(-1);
    }
    expect(firstNonFinite(new Float32Array(0))).toBe(-1);
    expect(firstNonFinite(new Float32Array(8).subarray(3, 6).fill(NaN))).toBe(0);
  });
});
