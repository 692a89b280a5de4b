// Turns sample indices into the float batch the model consumes.
import { Purpose, Rng } from "@vae/random";
import type { ImageSet } from "./datasets.ts";

export interface BinarizeKey {
  seed: number;
  epoch: number;
}

/**
 * The images `indices` of `set` as floats, one image after another (indices.length x rows*cols).
 * Without `binarize`: pixel / 255 in [0, 1]. With it, dynamic binarization: each pixel becomes 1
 * with probability pixel/255, else 0, drawn from Rng(seed, Binarize, epoch, sampleIndex). The draw
 * depends on the sample alone, never on the batch, rank or split, so W ranks binarize a sample
 * exactly as one process would. `out`, if given, must hold at least that many floats; the result
 * is then `out` itself or its prefix.
 */
export function gatherImages(set: ImageSet, indices: ArrayLike<number>, out?: Float32Array, binarize?: BinarizeKey): Float32Array {
  const px = set.rows * set.cols;
  const needed = indices.length * px;
  if (out && out.length < needed) {
    throw new RangeError(`gatherImages: out holds ${out.length} floats, ${indices.length} images of ${set.rows}x${set.cols} need ${needed}`);
  }
  const dst = out ? (out.length === needed ? out : out.subarray(0, needed)) : new Float32Array(needed);
  const src = set.pixels;
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k]!;
    if (!Number.isInteger(index) || index < 0 || index >= set.count) {
      throw new RangeError(`gatherImages: index ${index} at position ${k} is outside 0..${set.count - 1}`);
    }
    const from = index * px;
    const to = k * px;
    if (binarize) {
      const rng = new Rng(binarize.seed, Purpose.Binarize, binarize.epoch, index);
      // u < p/255 exactly when u*255 < p for u = x/2^32; integers keep it exact.
      for (let i = 0; i < px; i++) dst[to + i] = rng.nextUint32() * 255 < src[from + i]! * 0x100000000 ? 1 : 0;
    } else {
      for (let i = 0; i < px; i++) dst[to + i] = src[from + i]! / 255;
    }
  }
  return dst;
}
