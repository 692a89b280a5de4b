import { Rng } from "@vae/random";
import { describe, expect, it } from "vitest";
import { F16_MAX, decodeF16, encodeF16, f16FromF32Bits, f16ToNumber, firstNonFiniteF16, roundThroughF16 } from "./fp16.ts";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function encodeOne(x: number): number {
  f32[0] = x;
  return f16FromF32Bits(u32[0]);
}

/** Nearest fp16 by brute force over the candidates around `h`, ties to the even pattern. */
function referenceNearest(x: number, h: number): number {
  let best = -1;
  let bestErr = Infinity;
  for (const c of [h - 1, h, h + 1]) {
    if (c < 0 || c > 0xffff || (c & 0x7c00) === 0x7c00 || (c & 0x8000) !== (h & 0x8000)) continue;
    const err = Math.abs(f16ToNumber(c) - x);
    if (err < bestErr || (err === bestErr && (c & 1) === 0)) {
      best = c;
      bestErr = err;
    }
  }
  return best;
}

describe("fp16", () => {
  it("round-trips every finite fp16 value and both infinities", () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaNs are canonicalised
      expect(encodeOne(f16ToNumber(h))).toBe(h);
    }
  });

  it("rounds random fp32 values to the nearest fp16, ties to even", () => {
    const rng = new Rng(11);
    for (let i = 0; i < 200_000; i++) {
      const mag = 2 ** (rng.nextFloat() * 46 - 30); // 2^-30 .. 2^16: subnormals, normals, near the top
      f32[0] = (rng.nextFloat() < 0.5 ? -1 : 1) * mag;
      const x = f32[0];
      if (Math.abs(x) >= 65520) continue; // saturation, tested below
      const h = encodeOne(x);
      expect(h).toBe(referenceNearest(x, h));
    }
    // exact ties: halfway between 1 and the next fp16 (1 + 2^-10) goes to the even 1; the next tie up goes up
    expect(f16ToNumber(encodeOne(1 + 2 ** -11))).toBe(1);
    expect(f16ToNumber(encodeOne(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    expect(encodeOne(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal
    expect(encodeOne(3 * 2 ** -26)).toBe(1);
  });

  it("saturates finite overflow and keeps non-finite values non-finite", () => {
    expect(f16ToNumber(encodeOne(65519))).toBe(F16_MAX);
    expect(f16ToNumber(encodeOne(65520))).toBe(F16_MAX);
    expect(f16ToNumber(encodeOne(-1e30))).toBe(-F16_MAX);
    expect(encodeOne(Infinity)).toBe(0x7c00);
    expect(encodeOne(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(f16ToNumber(encodeOne(NaN)))).toBe(true);
    expect(Object.is(f16ToNumber(encodeOne(-0)), -0)).toBe(true);
  });

  it("rounds in place exactly as encode then decode does", () => {
    const rng = new Rng(12);
    const x = new Float32Array(10_000).map(() => rng.nextNormal() * 10 ** (rng.nextInt(8) - 4));
    const viaWire = decodeF16(encodeF16(x));
    const inPlace = x.slice();
    roundThroughF16(inPlace);
    expect(Buffer.from(inPlace.buffer).equals(Buffer.from(viaWire.buffer))).toBe(true);
    expect(Buffer.from(inPlace.buffer).equals(Buffer.from(x.buffer))).toBe(false);
  });

  it("finds the first non-finite fp16 value", () => {
    expect(firstNonFiniteF16(encodeF16(new Float32Array([1, 2, 3])))).toBe(-1);
    expect(firstNonFiniteF16(encodeF16(new Float32Array([1, NaN, Infinity])))).toBe(1);
    expect(() => encodeF16(new Float32Array(3), new Uint16Array(2))).toThrow(/output has 2 elements, input 3/);
  });
});

describe("firstNonFiniteF16", () => {
  it("finds every position, aligned or not", () => {
    for (const offset of [0, 1]) {
      for (let bad = 0; bad < 9; bad++) {
        for (const value of [0x7c00, 0xfc00, 0x7e00, 0x7c01]) {
          const h = new Uint16Array(10).subarray(offset, offset + 9);
          h.fill(0x7bff); // largest finite
          h[bad] = value;
          expect(firstNonFiniteF16(h)).toBe(bad);
        }
        const ok = new Uint16Array(10).subarray(offset).fill(0xfbff);
        expect(firstNonFiniteF16(ok)).toBe(-1);
      }
    }
  });
});
