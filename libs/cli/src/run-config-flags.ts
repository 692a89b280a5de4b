// The flags that decide a run's numbers, shared by `vae train` (one process)
// and `vae-coordinator` (the cluster), so both describe a run the same way and
// their parity can be checked flag for flag.
import type { Command } from "commander";
import { DEFAULT_VAE_CONFIG } from "@vae/model";
import { DEFAULT_RUN_CONFIG, validateRunConfig, type RunConfig } from "@vae/training";
import { UsageError } from "./errors.ts";
import { choiceFlag, intFlag, intListFlag, numberFlag, stringFlag, switchFlag, type RawFlags } from "./flags.ts";

/** Flags that decide a run's numbers; a checkpoint fixes them when resuming. [flag, commander key]. */
export const RUN_DEFINING_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ["dataset", "dataset"],
  ["batch-size", "batchSize"],
  ["lr", "lr"],
  ["seed", "seed"],
  ["hidden", "hidden"],
  ["latent", "latent"],
  ["decoder", "decoder"],
  ["beta", "beta"],
  ["binarize", "binarize"],
  ["train-limit", "trainLimit"],
  ["test-limit", "testLimit"],
];

/** Declares the run-config flags; help texts show the defaults of @vae/training and @vae/model. */
export function addRunConfigOptions(cmd: Command): Command {
  const r = DEFAULT_RUN_CONFIG;
  const m = DEFAULT_VAE_CONFIG;
  return cmd
    .option("--dataset <name>", `mnist, fashion-mnist or idx:<images-file> (default: ${r.dataset})`)
    .option("--data-dir <dir>", "directory holding the dataset's IDX files (default: the dataset's own location)")
    .option("--epochs <n>", `passes over the training set (default: ${r.epochs})`)
    .option("--batch-size <n>", `global batch: samples per step over all workers (default: ${r.batchSize})`)
    .option("--lr <x>", `Adam learning rate (default: ${r.learningRate})`)
    .option("--seed <n>", `seed of weights, shuffling, noise and binarization (default: ${r.seed})`)
    .option("--hidden <list>", `hidden widths, comma-separated, e.g. 512,256 (default: ${m.hiddenSizes.join(",")})`)
    .option("--latent <n>", `latent dimension (default: ${m.latentSize})`)
    .option("--decoder <kind>", `bernoulli or gaussian (default: ${m.decoder})`)
    .option("--beta <x>", `weight of the KL term (default: ${m.beta})`)
    .option("--binarize", "dynamically binarize the training pixels (default: off)")
    .option("--train-limit <n>", `use only the first N training images; 0 = all (default: ${r.trainLimit})`)
    .option("--test-limit <n>", `use only the first N test images; 0 = all (default: ${r.testLimit})`);
}

/** The run config the flags describe, validated and frozen; a bad value is a UsageError naming the flag. */
export function parseRunConfigFlags(raw: RawFlags): RunConfig {
  const r = DEFAULT_RUN_CONFIG;
  const m = DEFAULT_VAE_CONFIG;
  const dataDir = raw.dataDir === undefined ? undefined : stringFlag("data-dir", raw.dataDir, "");
  const candidate = {
    model: {
      architecture: "mlp",
      inputSize: m.inputSize, // replaced by the dataset's image size once it is loaded (see withImageSize)
      hiddenSizes: intListFlag("hidden", raw.hidden, m.hiddenSizes),
      latentSize: intFlag("latent", raw.latent, m.latentSize, 1),
      decoder: choiceFlag("decoder", raw.decoder, m.decoder, ["bernoulli", "gaussian"] as const),
      gaussianStd: m.gaussianStd,
      beta: numberFlag("beta", raw.beta, m.beta, true),
    },
    dataset: stringFlag("dataset", raw.dataset, r.dataset),
    ...(dataDir === undefined ? {} : { dataDir }),
    seed: intFlag("seed", raw.seed, r.seed, 0),
    batchSize: intFlag("batch-size", raw.batchSize, r.batchSize, 1),
    learningRate: numberFlag("lr", raw.lr, r.learningRate),
    epochs: intFlag("epochs", raw.epochs, r.epochs, 1),
    binarize: switchFlag(raw.binarize, r.binarize),
    trainLimit: intFlag("train-limit", raw.trainLimit, r.trainLimit, 0),
    testLimit: intFlag("test-limit", raw.testLimit, r.testLimit, 0),
  };
  try {
    return validateRunConfig(candidate);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The config with the model's input size taken from the dataset's images. */
export function withImageSize(config: RunConfig, rows: number, cols: number): RunConfig {
  return validateRunConfig({ ...config, model: { ...config.model, inputSize: rows * cols } });
}
