// Every default of the `vae` tool, in one place (STYLE item 12). A flag that is
// not given takes its value from here; `vae <command> --help` shows the same values.
import { DEFAULT_VAE_CONFIG } from "@vae/model";
import { DEFAULT_RUN_CONFIG } from "@vae/training";

/** Flags every command takes. */
export const COMMON_DEFAULTS = Object.freeze({
  /** --backend: tfjs compute backend; auto takes the fastest that loads (tensorflow-gpu, tensorflow, wasm, cpu). */
  backend: "auto",
});

/** `vae train`: the run's numbers come from @vae/training's and @vae/model's defaults, so the cluster and the tool agree. */
export const TRAIN_DEFAULTS = Object.freeze({
  /** --dataset: "mnist", "fashion-mnist" or "idx:<images-file>". */
  dataset: DEFAULT_RUN_CONFIG.dataset,
  /** --epochs: passes over the training set. */
  epochs: DEFAULT_RUN_CONFIG.epochs,
  /** --batch-size: samples per optimizer step (128, as in the PyTorch VAE example). */
  batchSize: DEFAULT_RUN_CONFIG.batchSize,
  /** --lr: Adam learning rate. */
  learningRate: DEFAULT_RUN_CONFIG.learningRate,
  /** --seed: decides initial weights, epoch permutations, noise and binarization. */
  seed: DEFAULT_RUN_CONFIG.seed,
  /** --hidden: encoder hidden widths, comma-separated (the decoder mirrors them). */
  hiddenSizes: DEFAULT_VAE_CONFIG.hiddenSizes,
  /** --latent: dimension of z. */
  latentSize: DEFAULT_VAE_CONFIG.latentSize,
  /** --decoder: likelihood p(x|z), "bernoulli" or "gaussian". */
  decoder: DEFAULT_VAE_CONFIG.decoder,
  /** --beta: weight of the KL term; 1 is the ELBO. */
  beta: DEFAULT_VAE_CONFIG.beta,
  /** --binarize: dynamic binarization of the training pixels (off: pixels in [0, 1]). */
  binarize: DEFAULT_RUN_CONFIG.binarize,
  /** --train-limit: use only the first N training images (0 = all). */
  trainLimit: DEFAULT_RUN_CONFIG.trainLimit,
  /** --test-limit: use only the first N test images (0 = all). */
  testLimit: DEFAULT_RUN_CONFIG.testLimit,
  /** --max-steps: stop after N global steps in total (0 = run every epoch). */
  maxSteps: 0,
  /** --run-dir: parent directory of run directories. */
  runDir: "runs",
  /** --checkpoint-every: write a checkpoint every N steps (0 = only when training ends or is interrupted). */
  checkpointEvery: 0,
  /** --keep-checkpoints: how many step-* checkpoints to keep. */
  keepCheckpoints: 3,
});

/** Figures written by sample, reconstruct, interpolate, latent-grid and by train after each epoch. */
export const FIGURE_DEFAULTS = Object.freeze({
  /** sample --count, and the per-epoch sample grid of train: images drawn from the prior. */
  sampleCount: 64,
  /** reconstruct --count: test images shown with their reconstructions. */
  reconstructCount: 16,
  /** interpolate --from: index of the first test image. */
  interpolateFrom: 0,
  /** interpolate --to: index of the second test image. */
  interpolateTo: 1,
  /** interpolate --steps: decoded points on the line, both ends included. */
  interpolateSteps: 10,
  /** latent-grid --size: points per axis of the latent manifold (size x size images). */
  latentGridSize: 20,
  /** Background pixels between the images of a grid. */
  padding: 2,
  /** Nearest-neighbour magnification of each image. */
  scale: 1,
  /** At most this many images per grid row (reconstruct). */
  maxColumns: 16,
});

/** `vae eval`. */
export const EVAL_DEFAULTS = Object.freeze({
  /** --iw-samples: importance samples K per test image for the log-likelihood estimate (0 = skip it; the paper-style figure uses 5000). */
  iwSamples: 0,
  /** --limit: evaluate only the first N test images (0 = all). */
  limit: 0,
});

/** Progress display of `vae train`. */
