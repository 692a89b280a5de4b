// Note [Flat parameter layout]
// Parameters, gradients and Adam moments all travel as ONE Float32Array whose
// layout is a pure function of the VaeConfig, so every rank (on any backend)
// agrees on what offset i means without ever exchanging names. For hiddenSizes
// [h1, ..., hk], input D and latent L, in this order:
//   enc.0.kernel [D, h1]  enc.0.bias [h1]  ...  enc.{k-1}.kernel [h{k-1}, hk] ...
//   enc.head.kernel [hk, 2L]  enc.head.bias [2L]   (columns 0..L-1 = mu, L..2L-1 = logVar)
//   dec.0.kernel [L, hk]  dec.0.bias [hk]  ...  (the hidden widths mirrored)
//   dec.out.kernel [h1, D]  dec.out.bias [D]
// Kernels are row-major [fanIn, fanOut], so a layer computes x @ kernel + bias.
// Changing this order breaks every checkpoint: don't.

import type { VaeConfig } from "./config.ts";

export interface ParamSpec {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** Dense layers in forward order: [name, fanIn, fanOut]. */
export function denseLayers(c: VaeConfig): Array<[name: string, fanIn: number, fanOut: number]> {
  const layers: Array<[string, number, number]> = [];
  let width = c.inputSize;
  c.hiddenSizes.forEach((h, i) => {
    layers.push([`enc.${i}`, width, h]);
    width = h;
  });
  layers.push(["enc.head", width, 2 * c.latentSize]);
  width = c.latentSize;
  const mirrored = [...c.hiddenSizes].reverse();
  mirrored.forEach((h, i) => {
    layers.push([`dec.${i}`, width, h]);
    width = h;
  });
  layers.push(["dec.out", width, c.inputSize]);
  return layers;
}

/** The fixed flat layout; see Note [Flat parameter layout]. */
export function paramLayout(c: VaeConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  let offset = 0;
  const push = (name: string, shape: number[]): void => {
    const size = shape.reduce((a, b) => a * b, 1);
    specs.push({ name, shape, offset, size });
    offset += size;
  };
  for (const [name, fanIn, fanOut] of denseLayers(c)) {
    push(`${name}.kernel`, [fanIn, fanOut]);
    push(`${name}.bias`, [fanOut]);
  }
  return specs;
}

export function paramCount(c: VaeConfig): number {
  const specs = paramLayout(c);
  const last = specs[specs.length - 1]!;
  return last.offset + last.size;
}
