// Test data shared by the spec files (not exported from the barrel).
import type { CheckpointData } from "./format.ts";

export const layout = [
  { name: "enc/dense/kernel", shape: [7, 3] },
  { name: "enc/dense/bias", shape: [3] },
  { name: "empty", shape: [0, 4] },
  { name: "dec/dense/kernel", shape: [3, 5] },
];

/** A checkpoint whose floats include the awkward ones: -0, infinities, subnormals, NaN with a payload. */
export function sampleData(step = 42, fill = 0): CheckpointData {
  const n = 7 * 3 + 3 + 3 * 5;
  const params = Float32Array.from({ length: n }, (_, i) => Math.sin(i + fill) * 10 ** ((i % 9) - 4));
  const bits = new Uint32Array(params.buffer);
  bits[0] = 0x80000000; // -0
  bits[1] = 0x7f800000; // +Infinity
  bits[2] = 0x00000001; // smallest subnormal
  bits[3] = 0x7fc01234; // NaN with payload
  return {
    params,
    layout,
    optimizer: {
      name: "adam",
      m: Float32Array.from({ length: n }, (_, i) => i / 7 - fill),
      v: Float32Array.from({ length: n }, (_, i) => (i * i) / 3 + fill),
      t: step,
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    },
    step,
    epoch: 3,
    stepInEpoch: 11,
    seed: 2 ** 40 + 7,
    config: { model: { arch: "mlp", hidden: [400], latent: 20 }, data: { dataset: "mnist" }, batchSize: 128, note: "ünïcode ✓" },
  };
}

export const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
