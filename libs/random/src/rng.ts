// Deterministic randomness for everything that must be identical on every rank:
// weight initialisation, epoch permutations, reparameterization noise and
// dynamic binarization. tfjs's own RNG differs between backends, so none of it
// is used for anything that parity depends on.
//
// The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting RNG, 128-bit
// state, passes PractRand), seeded by hashing a key of 32-bit integers with
// splitmix32, so that stream (seed, purpose, a, b) is independent of (seed, purpose, a, b+1).

/** Why a stream exists; part of its key so that, e.g., the noise of sample 7 never equals its binarization. */
export enum Purpose {
  Init = 1,
  Permutation = 2,
  Noise = 3,
  Binarize = 4,
  Eval = 5,
}

function splitmix32(state: number): [value: number, next: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [(z ^ (z >>> 16)) >>> 0, next];
}

/** Folds integers (each taken modulo 2^32) into one 32-bit hash. */
export function hashKey(key: readonly number[]): number {
  let h = 0x243f6a88;
  for (const k of key) {
    const [v] = splitmix32(h ^ (k >>> 0));
    // Math.floor keeps keys above 2^32 (e.g. large seeds) from being silently truncated.
    const [w] = splitmix32(v ^ (Math.floor(k / 0x100000000) >>> 0));
    h = w;
  }
  return h >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(...key: number[]) {
    let s = hashKey(key);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [v, next] = splitmix32(s);
      words.push(v);
      s = next;
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
    for (let i = 0; i < 12; i++) this.nextUint32(); // let the state mix before use
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  nextInt(n: number): number {
    if (!(n > 0 && n <= 0x100000000)) throw new RangeError(`nextInt: n must be in (0, 2^32], got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    let x: number;
    do x = this.nextUint32();
    while (x >= limit);
    return x % n;
  }

  /** Standard normal N(0, 1) by the Box–Muller transform. */
  nextNormal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    const u1 = 1 - this.nextFloat(); // (0, 1]: log is finite
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  fillNormal(out: Float32Array, offset = 0, length = out.length - offset): Float32Array {
    for (let i = 0; i < length; i++) out[offset + i] = this.nextNormal();
    return out;
  }
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
