// Note [Fast dense gradient]
// tfjs's own gradient of matMul (and of fused.matMul) asks for
// matMul(dy, W, transposeB) and matMul(x, dy, transposeA). tfjs-backend-wasm
// sends transposed operands down a naive BatchMatMul loop instead of XNNPACK:
// measured on this project's 2-core machine, ~168 of ~207 ms of a batch-128
// 784-400-20 step. Transposing explicitly (a cheap copy) and calling a plain
// matMul keeps every product on XNNPACK, which makes the step ~4x faster with
// gradients equal to autodiff within float rounding. "autodiff" is kept as the
// reference the tests and the benchmark compare against.

import * as tf from "@tensorflow/tfjs-core";

export type DenseGradient = "autodiff" | "fast";
export type Activation = "relu" | "linear";

type DenseFn = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

function forward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: Activation): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: w, bias: b, activation }) as tf.Tensor2D;
}

/** Gradient of the pre-activation: dy masked by the relu's active units (y > 0 iff pre > 0). */
function preActivationGrad(dy: tf.Tensor2D, y: tf.Tensor2D, activation: Activation): tf.Tensor2D {
  return activation === "relu" ? tf.mul(dy, tf.step(y)) : dy;
}

/**
 * a^T @ b and a @ b^T. On wasm the transpose is made explicitly so the product
 * stays on XNNPACK; cpu and tensorflow kernels take transposed operands
 * natively, and an explicit copy would only cost time there.
 */
function matMulTA(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return EXPLICIT_TRANSPOSE.has(tf.getBackend()) ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, b, true, false);
}
function matMulTB(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return EXPLICIT_TRANSPOSE.has(tf.getBackend()) ? tf.matMul(a, tf.transpose(b)) : tf.matMul(a, b, false, true);
}
const EXPLICIT_TRANSPOSE = new Set(["wasm"]);

function fastDense(activation: Activation): DenseFn {
  const op = tf.customGrad((x, w, b, save) => {
    const y = forward(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D, activation);
    (save as tf.GradSaveFunc)([x as tf.Tensor, w as tf.Tensor, y]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [xs, ws, ys] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const dPre = preActivationGrad(dy as tf.Tensor2D, ys, activation);
        return [matMulTB(dPre, ws), matMulTA(xs, dPre), tf.sum(dPre, 0)];
      },
    };
  });
  return (x, w, b) => op(x, w, b) as tf.Tensor2D;
}

/**
 * The first layer's input is data, not a function of the parameters: leaving
 * it out of the op's inputs spares the largest product of the backward pass
 * (customGrad computes a gradient for every input it is given).
 */
function fastDenseNoInputGrad(activation: Activation): DenseFn {
  return (x, w, b) => {
    const op = tf.customGrad((w2, b2, save) => {
      const y = forward(x, w2 as tf.Tensor2D, b2 as tf.Tensor1D, activation);
      (save as tf.GradSaveFunc)([y]);
      return {
        value: y,
        gradFunc: (dy, saved) => {
          const dPre = preActivationGrad(dy as tf.Tensor2D, saved[0] as tf.Tensor2D, activation);
          return [matMulTA(x, dPre), tf.sum(dPre, 0)];
        },
      };
    });
    return op(w, b) as tf.Tensor2D;
  };
}

const cache = new Map<string, DenseFn>();

/**
 * activation(x @ w + b) for x [n, fanIn], w [fanIn, fanOut], b [fanOut], with
 * the chosen backward pass; see Note [Fast dense gradient]. `inputIsData`
 * says x needs no gradient (the encoder's first layer).
 */
export function dense(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  activation: Activation,
  gradient: DenseGradient,
  inputIsData = false,
): tf.Tensor2D {
  if (gradient === "autodiff") return forward(x, w, b, activation);
  const key = `${activation}:${inputIsData}`;
  let fn = cache.get(key);
  if (fn === undefined) {
    fn = inputIsData ? fastDenseNoInputGrad(activation) : fastDense(activation);
    cache.set(key, fn);
  }
  return fn(x, w, b);
}
