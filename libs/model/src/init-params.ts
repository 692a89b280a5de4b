import { Purpose, Rng } from "@vae/random";
import type { VaeConfig } from "./config.ts";
import { paramCount, paramLayout } from "./param-layout.ts";

/**
 * Initial parameters in the flat layout: Glorot-uniform kernels
 * (U(-a, a), a = sqrt(6 / (fanIn + fanOut))) and zero biases, drawn in layout
 * order from one stream new Rng(seed, Purpose.Init). Plain JS, so every rank and
 * every backend starts from bitwise the same replica.
 */
export function initParams(c: VaeConfig, seed: number): Float32Array {
  const out = new Float32Array(paramCount(c));
  const rng = new Rng(seed, Purpose.Init);
  for (const spec of paramLayout(c)) {
    if (spec.shape.length !== 2) continue; // biases stay zero
    const [fanIn, fanOut] = spec.shape as [number, number];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < spec.size; i++) out[spec.offset + i] = (2 * rng.nextFloat() - 1) * limit;
  }
  return out;
}
