// Flags of `vae train`, checked once into a frozen TrainFlags.
import type { BackendChoice } from "@vae/model";
import { validateRunConfig, type RunConfig } from "@vae/training";
import { TRAIN_DEFAULTS } from "../defaults.ts";
import { UsageError } from "../errors.ts";
import { backendFlag, choiceFlag, intFlag, intListFlag, numberFlag, stringFlag, switchFlag, type RawFlags } from "../flags.ts";

export interface TrainFlags {
  backend: BackendChoice;
  /** The run as the flags describe it; with --resume, the checkpoint's config replaces it (see resumeConfig). */
  config: RunConfig;
  maxSteps: number;
  runDir: string;
  checkpointEvery: number;
  keepCheckpoints: number;
  /** A run directory (or its checkpoints directory, or one checkpoint) to continue. */
  resume: string | undefined;
  /** --epochs was given (a resumed run may be extended). */
  epochsGiven: boolean;
}

/** Flags that decide a run's numbers; the checkpoint fixes them when resuming. [flag, commander key]. */
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
  ["run-dir", "runDir"],
];

export function parseTrainFlags(raw: RawFlags): TrainFlags {
  const d = TRAIN_DEFAULTS;
  const dataDir = raw.dataDir === undefined ? undefined : stringFlag("data-dir", raw.dataDir, "");
  const candidate = {
    model: {
      architecture: "mlp",
      inputSize: 784, // replaced by the dataset's image size once it is loaded (see withImageSize)
      hiddenSizes: intListFlag("hidden", raw.hidden, d.hiddenSizes),
      latentSize: intFlag("latent", raw.latent, d.latentSize, 1),
      decoder: choiceFlag("decoder", raw.decoder, d.decoder, ["bernoulli", "gaussian"] as const),
      gaussianStd: 1,
      beta: numberFlag("beta", raw.beta, d.beta, true),
    },
    dataset: stringFlag("dataset", raw.dataset, d.dataset),
    ...(dataDir === undefined ? {} : { dataDir }),
    seed: intFlag("seed", raw.seed, d.seed, 0),
    batchSize: intFlag("batch-size", raw.batchSize, d.batchSize, 1),
    learningRate: numberFlag("lr", raw.lr, d.learningRate),
    epochs: intFlag("epochs", raw.epochs, d.epochs, 1),
    binarize: switchFlag(raw.binarize, d.binarize),
    trainLimit: intFlag("train-limit", raw.trainLimit, d.trainLimit, 0),
    testLimit: intFlag("test-limit", raw.testLimit, d.testLimit, 0),
  };
  let config: RunConfig;
  try {
    config = validateRunConfig(candidate);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const resume = raw.resume === undefined ? undefined : stringFlag("resume", raw.resume, "");
  if (resume !== undefined) {
    const clashing = RUN_DEFINING_FLAGS.filter(([, key]) => raw[key] !== undefined).map(([flag]) => `--${flag}`);
    if (clashing.length > 0) {
      throw new UsageError(`--resume continues the run in ${resume} with the checkpoint's own settings; drop ${clashing.join(", ")} (or start a new run without --resume)`);
    }
  }
  return Object.freeze({
    backend: backendFlag(raw),
    config,
    maxSteps: intFlag("max-steps", raw.maxSteps, d.maxSteps, 0),
    runDir: stringFlag("run-dir", raw.runDir, d.runDir),
    checkpointEvery: intFlag("checkpoint-every", raw.checkpointEvery, d.checkpointEvery, 0),
    keepCheckpoints: intFlag("keep-checkpoints", raw.keepCheckpoints, d.keepCheckpoints, 1),
    resume,
    epochsGiven: raw.epochs !== undefined,
  });
}

/** The config with the model's input size taken from the dataset's images. */
export function withImageSize(config: RunConfig, rows: number, cols: number): RunConfig {
  return validateRunConfig({ ...config, model: { ...config.model, inputSize: rows * cols } });
}
