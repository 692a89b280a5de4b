// Per-sample loss terms of the VAE, in nats. Each returns a [n] tensor; the
// model sums them for the gradient and keeps them apart for evaluation.

import * as tf from "@tensorflow/tfjs-core";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Bernoulli negative log-likelihood on logits l, summed over pixels:
 * max(l, 0) - l*x + log(1 + exp(-|l|)), the numerically stable form of binary
 * cross-entropy with logits. x may be any value in [0, 1] (grey-level MNIST),
 * in which case this is the cross-entropy rather than a true log-likelihood.
 */
export function bernoulliNll(logits: tf.Tensor2D, x: tf.Tensor2D, gradient: "autodiff" | "closed-form" = "autodiff"): tf.Tensor1D {
  if (gradient === "autodiff") return bceSum(logits, x);
  // d/dl of the per-pixel loss is sigmoid(l) - x: three kernels instead of autodiff's ~15 over [n, D].
  const op = tf.customGrad((l, save) => {
    (save as tf.GradSaveFunc)([l as tf.Tensor]);
    return {
      value: bceSum(l as tf.Tensor2D, x),
      gradFunc: (dy, [ls]) => tf.mul(tf.sub(tf.sigmoid(ls!), x), tf.reshape(dy, [-1, 1])),
    };
  });
  return op(logits) as tf.Tensor1D;
}

function bceSum(logits: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor1D {
  const perPixel = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return tf.sum(perPixel, 1);
}

/**
 * Gaussian negative log-likelihood with mean sigmoid(output) (pixels live in
 * [0, 1]) and a fixed std, summed over pixels:
 * 0.5 * ((x - mean) / std)^2 + log(std) + 0.5 * log(2 pi).
 */
export function gaussianNll(output: tf.Tensor2D, x: tf.Tensor2D, std: number): tf.Tensor1D {
  const pixels = x.shape[1];
  const z = tf.div(tf.sub(x, tf.sigmoid(output)), std);
  const squared = tf.mul(tf.sum(tf.square(z), 1), 0.5);
  return tf.add(squared, pixels * (Math.log(std) + HALF_LOG_2PI));
}

/** KL(N(mu, exp(logVar)) || N(0, I)) = -0.5 * sum(1 + logVar - mu^2 - exp(logVar)). */
export function klPerSample(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  const inner = tf.sub(tf.sub(tf.add(logVar, 1), tf.square(mu)), tf.exp(logVar));
  return tf.mul(tf.sum(inner, 1), -0.5);
}

/** log N(z; 0, I) per row. */
export function logStandardNormal(z: tf.Tensor2D): tf.Tensor1D {
  return tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), z.shape[1] * HALF_LOG_2PI);
}
