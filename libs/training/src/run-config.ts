import { DEFAULT_VAE_CONFIG, validateVaeConfig, type VaeConfig } from "@vae/model";

/**
 * Everything that decides the numbers a run produces. Two processes with equal
 * RunConfigs compute bitwise-equal steps; it is stored in every checkpoint and
 * sent by the coordinator to each worker on welcome.
 */
export interface RunConfig {
  model: VaeConfig;
  /** "mnist", "fashion-mnist" or "idx:<images-file>" (see @vae/data). */
  dataset: string;
  /** Directory holding the dataset's IDX files, where the dataset needs one. */
  dataDir?: string;
  seed: number;
  /** Global batch B: samples per step over all workers together. */
  batchSize: number;
  learningRate: number;
  epochs: number;
  /** Seeded dynamic binarization of the pixels (Bernoulli decoder papers use it); off: pixels in [0,1]. */
  binarize: boolean;
  /** Use only the first N training images (0 = all); for quick runs and tests. */
  trainLimit: number;
  /** Use only the first N test images (0 = all). */
  testLimit: number;
}

export const DEFAULT_RUN_CONFIG: RunConfig = Object.freeze({
  model: DEFAULT_VAE_CONFIG,
  dataset: "mnist",
  seed: 1,
  batchSize: 128, // as in the PyTorch VAE example
  learningRate: 1e-3, // Adam default (Kingma & Ba)
  epochs: 10,
  binarize: false,
  trainLimit: 0,
  testLimit: 0,
});

function fail(field: string, expected: string, found: unknown): never {
  throw new Error(`invalid run config: ${field} must be ${expected}, found ${JSON.stringify(found)}`);
}

function positiveInt(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) fail(field, "a positive integer", v);
  return v;
}

function nonNegativeInt(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(field, "a non-negative integer", v);
  return v;
}

/** Checks every field and returns a frozen copy; errors name the field, the expectation and the value. */
export function validateRunConfig(input: unknown): RunConfig {
  if (typeof input !== "object" || input === null) fail("(root)", "an object", input);
  const c = input as Record<string, unknown>;
  if (typeof c.dataset !== "string" || c.dataset.length === 0) fail("dataset", "a non-empty string", c.dataset);
  if (c.dataDir !== undefined && typeof c.dataDir !== "string") fail("dataDir", "a string", c.dataDir);
  if (typeof c.seed !== "number" || !Number.isSafeInteger(c.seed) || c.seed < 0) fail("seed", "a non-negative integer", c.seed);
  if (typeof c.learningRate !== "number" || !(c.learningRate > 0) || !Number.isFinite(c.learningRate))
    fail("learningRate", "a positive finite number", c.learningRate);
  if (typeof c.binarize !== "boolean") fail("binarize", "a boolean", c.binarize);
  const config: RunConfig = {
    model: validateVaeConfig(c.model),
    dataset: c.dataset,
    ...(c.dataDir !== undefined ? { dataDir: c.dataDir as string } : {}),
    seed: c.seed,
    batchSize: positiveInt(c.batchSize, "batchSize"),
    learningRate: c.learningRate,
    epochs: positiveInt(c.epochs, "epochs"),
    binarize: c.binarize,
    trainLimit: nonNegativeInt(c.trainLimit ?? 0, "trainLimit"),
    testLimit: nonNegativeInt(c.testLimit ?? 0, "testLimit"),
  };
  return Object.freeze(config);
}
