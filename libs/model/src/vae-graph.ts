// The VAE's forward pass as pure functions of the parameter tensors (in the
// flat layout's order: kernel, bias per dense layer, see Note [Flat parameter
// layout]), so that tf.valueAndGrads can differentiate with respect to them.

import * as tf from "@tensorflow/tfjs-core";
import type { VaeConfig } from "./config.ts";
import { type DenseGradient, dense } from "./dense.ts";
import { bernoulliNll, gaussianNll, klPerSample } from "./loss.ts";

export interface Encoded {
  mu: tf.Tensor2D;
  logVar: tf.Tensor2D;
}

/** x [n, D] -> mu, logVar [n, L] through the relu encoder. */
export function encodeGraph(c: VaeConfig, params: tf.Tensor[], x: tf.Tensor2D, gradient: DenseGradient): Encoded {
  let h = x;
  let p = 0;
  for (let i = 0; i < c.hiddenSizes.length; i++, p += 2) {
    h = dense(h, params[p] as tf.Tensor2D, params[p + 1] as tf.Tensor1D, "relu", gradient, i === 0);
  }
  const head = dense(h, params[p] as tf.Tensor2D, params[p + 1] as tf.Tensor1D, "linear", gradient, p === 0);
  const n = x.shape[0];
  const L = c.latentSize;
  return { mu: tf.slice(head, [0, 0], [n, L]), logVar: tf.slice(head, [0, L], [n, L]) };
}

/** z [n, L] -> decoder output [n, D]: Bernoulli logits, or the pre-sigmoid Gaussian mean. */
export function decodeGraph(c: VaeConfig, params: tf.Tensor[], z: tf.Tensor2D, gradient: DenseGradient): tf.Tensor2D {
  let h = z;
  let p = 2 * (c.hiddenSizes.length + 1); // the decoder's parameters follow the encoder's
  for (let i = 0; i < c.hiddenSizes.length; i++, p += 2) {
    h = dense(h, params[p] as tf.Tensor2D, params[p + 1] as tf.Tensor1D, "relu", gradient);
  }
  return dense(h, params[p] as tf.Tensor2D, params[p + 1] as tf.Tensor1D, "linear", gradient);
}

/** Reconstruction NLL of x under the decoder output, per sample. */
export function reconstructionGraph(c: VaeConfig, output: tf.Tensor2D, x: tf.Tensor2D, gradient: DenseGradient = "autodiff"): tf.Tensor1D {
  if (c.decoder === "gaussian") return gaussianNll(output, x, c.gaussianStd);
  return bernoulliNll(output, x, gradient === "fast" ? "closed-form" : "autodiff");
}

export interface LossTerms {
  reconstruction: tf.Tensor1D;
  kl: tf.Tensor1D;
}

/** Per-sample loss terms with the reparameterization z = mu + exp(0.5 logVar) * eps. */
export function lossGraph(c: VaeConfig, params: tf.Tensor[], x: tf.Tensor2D, eps: tf.Tensor2D, gradient: DenseGradient): LossTerms {
  const { mu, logVar } = encodeGraph(c, params, x, gradient);
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)) as tf.Tensor2D;
  const output = decodeGraph(c, params, z, gradient);
  return { reconstruction: reconstructionGraph(c, output, x, gradient), kl: klPerSample(mu, logVar) };
}
