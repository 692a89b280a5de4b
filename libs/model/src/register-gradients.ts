// Note [Registered gradients]
// @tensorflow/tfjs-core registers no gradient at all: the union package
// @tensorflow/tfjs does it by importing tfjs-core/dist/register_all_gradients,
// an ES-module tree with extensionless and directory imports that Node cannot
// load by itself (ERR_UNSUPPORTED_DIR_IMPORT). We do not use the union package
// (it nags on stdout under Node), so this file registers the gradients of the
// kernels the VAE's autodiff path records, ported from tfjs-core 4.22
// src/gradients/*_grad.ts (Apache-2.0) with the same mathematics. A gradient
// already registered (by @tensorflow/tfjs, which tfjs-node pulls in) is left
// alone. The finite-difference tests in gradients.spec.ts check them.

import * as tf from "@tensorflow/tfjs-core";

/** Sums a broadcast gradient back down to the input's shape (tfjs's reduction rule). */
function unbroadcast(grad: tf.Tensor, inShape: number[], outShape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(inShape, outShape);
  return axes.length > 0 ? tf.reshape(tf.sum(grad, axes), inShape) : grad;
}

function binary(a: tf.Tensor, b: tf.Tensor): number[] {
  return tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
}

const f32 = (t: tf.Tensor): tf.Tensor => tf.cast(t, "float32");

const CONFIGS: tf.GradConfig[] = [
  {
    kernelName: tf.Abs,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(f32(x!), -1)) }),
  },
  {
    kernelName: tf.Add,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => {
      const out = binary(a!, b!);
      return { a: () => unbroadcast(dy as tf.Tensor, a!.shape, out), b: () => unbroadcast(dy as tf.Tensor, b!.shape, out) };
    },
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => {
      const out = binary(a!, b!);
      return { a: () => unbroadcast(dy as tf.Tensor, a!.shape, out), b: () => tf.neg(unbroadcast(dy as tf.Tensor, b!.shape, out)) };
    },
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => {
      const out = binary(a!, b!);
      return {
        a: () => unbroadcast(tf.mul(dy as tf.Tensor, f32(b!)), a!.shape, out),
        b: () => unbroadcast(tf.mul(dy as tf.Tensor, f32(a!)), b!.shape, out),
      };
    },
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => {
      const out = binary(a!, b!);
      return {
        a: () => unbroadcast(tf.div(dy as tf.Tensor, f32(b!)), a!.shape, out),
        b: () => tf.neg(tf.div(unbroadcast(tf.mul(dy as tf.Tensor, f32(a!)), b!.shape, out), f32(tf.square(b!)))),
      };
    },
  },
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b], attrs) => {
      const d = dy as tf.Tensor3D;
      const [A, B] = [a as tf.Tensor3D, b as tf.Tensor3D];
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return { a: () => tf.matMul(d, B, false, true), b: () => tf.matMul(A, d, true, false) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(d, B, false, false), b: () => tf.matMul(d, A, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(B, d, false, true), b: () => tf.matMul(A, d, false, false) };
      return { a: () => tf.matMul(B, d, true, true), b: () => tf.matMul(d, A, true, true) };
    },
  },
  {
    kernelName: tf.Exp,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, y!) }),
  },
  {
    kernelName: tf.Log1p,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.div(dy as tf.Tensor, tf.add(x!, 1)) }),
  },
  { kernelName: tf.Neg, gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  {
    kernelName: tf.Relu,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(f32(x!))) }),
  },
  {
    kernelName: tf.Sigmoid,
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(y!, tf.sub(1, y!))) }),
  },
  {
    kernelName: tf.Square,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(f32(x!), 2)) }),
  },
  { kernelName: tf.Step, gradFunc: (dy) => ({ x: () => tf.zerosLike(dy as tf.Tensor) }) },
  { kernelName: tf.Cast, gradFunc: (dy) => ({ x: () => (dy as tf.Tensor).clone() }) },
  {
    kernelName: tf.Reshape,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x!.shape) }),
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => {
      const shape = x!.shape.slice();
      for (const axis of tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x!.shape)) shape[axis] = 1;
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, shape), tf.ones(x!.shape, "float32")) };
    },
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => {
      const { begin, size } = attrs as { begin: number | number[]; size?: number | number[] };
      const shape = x!.shape;
      const b = typeof begin === "number" ? [begin, ...shape.slice(1).map(() => 0)] : begin;
      const s = size === undefined ? shape.map(() => -1) : typeof size === "number" ? [size, ...shape.slice(1).map(() => -1)] : size;
      const paddings = shape.map((dim, i): [number, number] => {
        const len = s[i] === -1 || s[i] === undefined ? dim - b[i]! : s[i]!;
        return [b[i]!, dim - b[i]! - len];
      });
      return { x: () => tf.pad(dy as tf.Tensor, paddings) };
    },
  },
];

/**
 * Registers the gradients the VAE's autodiff path needs, once per process,
 * leaving any that another package registered first. See Note [Registered gradients].
 */
export function registerVaeGradients(): void {
  for (const config of CONFIGS) {
    if (tf.getGradient(config.kernelName) == null) tf.registerGradient(config);
  }
}
