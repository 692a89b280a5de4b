import { describe, expect, it } from "vitest";
import { Adam } from "./adam.ts";

describe("Adam", () => {
  it("matches a hand-computed two-step update with bias correction", () => {
    const lr = 0.1;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const params = Float32Array.from([1, -2, 0.5]);
    const grads = [
      [0.5, -1, 0],
      [0.1, 0.3, -4],
    ];
    const adam = new Adam(3, { learningRate: lr });
    // Kingma & Ba, Algorithm 1, written out per coordinate.
    const want = Array.from(params);
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    grads.forEach((g, step) => {
      const t = step + 1;
      for (let i = 0; i < 3; i++) {
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
        const mHat = m[i]! / (1 - b1 ** t);
        const vHat = v[i]! / (1 - b2 ** t);
        want[i] = want[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
      adam.step(params, Float32Array.from(g));
      if (t === 1) {
        // Step 1 is lr against the gradient's sign (m-hat / sqrt(v-hat) = g / |g|); a zero gradient moves nothing.
        expect(Array.from(params)).toEqual([expect.closeTo(0.9, 6), expect.closeTo(-1.9, 6), 0.5]);
      }
    });
    for (let i = 0; i < 3; i++) {
      expect(params[i]).toBeCloseTo(want[i]!, 6);
      expect(adam.m[i]).toBeCloseTo(m[i]!, 7);
      expect(adam.v[i]).toBeCloseTo(v[i]!, 7);
    }
    expect(adam.t).toBe(2);
  });

  it("resumes bitwise identically from loadState (checkpoint or state transfer)", () => {
    const n = 1000;
    const grad = (t: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + t) * (1 + (i % 5)));
    const straight = new Float32Array(n).fill(0.25);
    const a = new Adam(n);
    for (let t = 0; t < 6; t++) a.step(straight, grad(t));

    const resumed = new Float32Array(n).fill(0.25);
    const b = new Adam(n);
    for (let t = 0; t < 3; t++) b.step(resumed, grad(t));
    const c = new Adam(n);
    c.loadState({ m: b.m.slice(), v: b.v.slice(), t: b.t });
    for (let t = 3; t < 6; t++) c.step(resumed, grad(t));

    expect(Buffer.from(resumed.buffer).equals(Buffer.from(straight.buffer))).toBe(true);
    expect(Buffer.from(c.m.buffer).equals(Buffer.from(a.m.buffer))).toBe(true);
    expect(c.t).toBe(6);
  });

  it("uses exact integer powers for late steps", () => {
    const adam = new Adam(1, { learningRate: 1 });
    adam.loadState({ m: Float32Array.from([0]), v: Float32Array.from([0]), t: 9999 });
    const p = Float32Array.from([0]);
    adam.step(p, Float32Array.from([2]));
    // At t = 10000 the corrections are ~1 for beta1 and 1 - 0.999^10000 for beta2.
    const mHat = 0.2 / (1 - 0.9 ** 10000);
    const vHat = 0.004 / (1 - 0.999 ** 10000);
    expect(p[0]).toBeCloseTo(-mHat / (Math.sqrt(vHat) + 1e-8), 5);
  });

  it("rejects sizes and hyper-parameters that cannot work", () => {
    expect(() => new Adam(-1)).toThrow(/size must be a non-negative integer, got -1/);
    expect(() => new Adam(2, { beta1: 1 })).toThrow(/beta1 must be in \[0, 1\), got 1/);
    const adam = new Adam(2);
    expect(() => adam.step(new Float32Array(2), new Float32Array(3))).toThrow(/expected params and meanGrad of length 2, got 2 and 3/);
    expect(() => adam.loadState({ m: new Float32Array(1), v: new Float32Array(2), t: 0 })).toThrow(/expected m and v of length 2/);
  });
});
