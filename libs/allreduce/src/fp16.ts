// IEEE 754 binary16 ("half") conversion for gradient compression. Node 20 has
// no Float16Array, so conversions work on the fp32 bit patterns.
//
// fp32 → fp16 rounds to nearest, ties to even (as hardware does). Finite values
// beyond the fp16 range (|x| ≥ 65520) saturate to ±65504 instead of becoming
// ±Infinity: a gradient sum that large is already suspicious, but turning it
// into Infinity would poison every replica, and validation would reject it as
// non-finite and stall the run. ±Infinity and NaN stay non-finite.

/** Largest finite fp16 value. */
export const F16_MAX = 65504;

/** fp16 bits of the fp32 value whose bit pattern is `u` (an unsigned 32-bit integer). */
export function f16FromF32Bits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const a = u & 0x7fffffff;
  if (a >= 0x7f800000) return sign | (a > 0x7f800000 ? 0x7e00 : 0x7c00); // NaN (quiet) or Infinity
  if (a >= 0x38800000) {
    // fp16 normal range (≥ 2^-14)
    if (a >= 0x477ff000) return sign | 0x7bff; // rounds to ≥ 65536: saturate (see header)
    // Rebias the exponent (127 → 15) and round the 13 dropped mantissa bits to nearest even.
    return sign | ((a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13);
  }
  if (a < 0x33000000) return sign; // below 2^-25: rounds to ±0 (2^-25 itself ties to the even 0)
  // fp16 subnormal: value in units of 2^-24 is m >> (126 - e), rounded to nearest even.
  const e = a >>> 23;
  const m = (a & 0x7fffff) | 0x800000;
  const s = 126 - e; // 14..24
  const q = m >>> s;
  const rem = m & ((1 << s) - 1);
  const half = 1 << (s - 1);
  return sign | (q + (rem > half || (rem === half && (q & 1) === 1) ? 1 : 0));
}

/** The fp32 value of fp16 bits `h`. */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1024 + m) * 2 ** (e - 25);
}

let decodeTable: Float32Array | null = null;

/** All 65536 fp16 values as fp32 (256 KiB, built on first use): decoding is one lookup. */
function table(): Float32Array {
  if (decodeTable === null) {
    decodeTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) decodeTable[h] = f16ToNumber(h);
  }
  return decodeTable;
}

function bitsOf(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** Encodes fp32 values as fp16 bits into `out` (a new array by default). */
export function encodeF16(x: Float32Array, out: Uint16Array = new Uint16Array(x.length)): Uint16Array {
  if (out.length !== x.length) throw new RangeError(`encodeF16: output has ${out.length} elements, input ${x.length}`);
  const bits = bitsOf(x);
  for (let i = 0; i < bits.length; i++) out[i] = f16FromF32Bits(bits[i]);
  return out;
}

/** Decodes fp16 bits into fp32 values in `out` (a new array by default). */
export function decodeF16(h: Uint16Array, out: Float32Array = new Float32Array(h.length)): Float32Array {
  if (out.length !== h.length) throw new RangeError(`decodeF16: output has ${out.length} elements, input ${h.length}`);
  const t = table();
  for (let i = 0; i < h.length; i++) out[i] = t[h[i]];
  return out;
}

/** Rounds fp32 values in place through fp16: bitwise equal to decodeF16(encodeF16(x)). */
export function roundThroughF16(x: Float32Array): void {
  const t = table();
  const bits = bitsOf(x);
  for (let i = 0; i < bits.length; i++) x[i] = t[f16FromF32Bits(bits[i])];
}

/**
 * Index of the first fp16 NaN or ±Infinity in `h`, or -1 when all are finite.
 * Branch-free over pairs of values when `h` is 4-byte aligned: an fp16 value
 * is non-finite exactly when its exponent bits are all ones, and then
 * (bits & 0x7c00) + 0x0400 carries into its bit 15.
 */
export function firstNonFiniteF16(h: Uint16Array): number {
  let acc = 0;
  let i = 0;
  if (h.byteOffset % 4 === 0) {
    const w = new Int32Array(h.buffer, h.byteOffset, h.length >>> 1);
    for (let j = 0; j < w.length; j++) acc |= (w[j] & 0x7c007c00) + 0x04000400;
    i = 2 * w.length;
  }
  for (; i < h.length; i++) acc |= (h[i] & 0x7c00) + 0x0400;
  if ((acc & 0x80008000) === 0) return -1;
  for (let j = 0; j < h.length; j++) if ((h[j] & 0x7c00) === 0x7c00) return j; // rare: find which
  return -1;
}
