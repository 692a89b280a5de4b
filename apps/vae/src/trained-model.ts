// Opening a checkpoint for the offline commands: every failure becomes one
// sentence naming the path and the fault (exit 1), never a stack trace.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { CheckpointError, readCheckpoint, type CheckpointData } from "@vae/checkpoint";
import { loadDataset, type ImageSet } from "@vae/data";
import { VaeModel, paramCount } from "@vae/model";
import { validateRunConfig, type RunConfig } from "@vae/training";
import { CliError } from "@vae/cli";

export interface TrainedModel {
  /** The path given on the command line. */
  path: string;
  data: CheckpointData;
  config: RunConfig;
  model: VaeModel;
}

/**
 * Where the checkpoint of `path` lives: a step-* directory, a `latest` link, a
 * checkpoints directory, or a run directory (its checkpoints/latest).
 */
export function resolveCheckpointPath(path: string): string {
  if (!existsSync(path)) throw new CliError(`checkpoint ${path} does not exist`);
  if (!statSync(path).isDirectory()) throw new CliError(`checkpoint ${path} is not a directory (expected a checkpoint directory such as runs/<run>/checkpoints/latest)`);
  if (!existsSync(join(path, "state.json")) && existsSync(join(path, "checkpoints"))) return join(path, "checkpoints");
  return path;
}

/** Reads and verifies a checkpoint, checks its config, and builds the model at its parameters (the backend must be active). */
export async function loadTrainedModel(path: string): Promise<TrainedModel> {
  let data: CheckpointData;
  try {
    data = await readCheckpoint(resolveCheckpointPath(path));
  } catch (e) {
    if (e instanceof CheckpointError) throw new CliError(`cannot use checkpoint ${path}: ${e.message}`);
    throw e;
  }
  let config: RunConfig;
  try {
    config = validateRunConfig(data.config);
  } catch (e) {
    throw new CliError(`cannot use checkpoint ${path}: state.json holds an invalid run config: ${(e as Error).message}`);
  }
  const expected = paramCount(config.model);
  if (data.params.length !== expected) {
    throw new CliError(`cannot use checkpoint ${path}: ${data.params.length} parameters, but its model config needs ${expected}`);
  }
  const model = new VaeModel(config.model);
  model.setParams(data.params);
  return { path, data, config, model };
}

/** The run's test set (first `limit` images; 0 = all), checked against the model's input size. */
export function loadTestSet(config: RunConfig, limit = 0): ImageSet {
  let set: ImageSet;
  try {
    const ds = loadDataset(config.dataset, { ...(config.dataDir ? { dataDir: config.dataDir } : {}), ...(limit > 0 ? { limit: { test: limit } } : {}) });
    set = ds.test;
  } catch (e) {
    throw new CliError(`cannot load the test set of dataset ${JSON.stringify(config.dataset)}: ${(e as Error).message}`);
  }
  if (set.rows * set.cols !== config.model.inputSize) {
    throw new CliError(`dataset ${config.dataset} has ${set.rows}x${set.cols} images, the model expects ${config.model.inputSize} pixels`);
  }
  return set;
}

/** Image shape for figures: square inputs need no dataset; others ask the dataset. */
export function imageShape(config: RunConfig): { rows: number; cols: number } {
  const side = Math.round(Math.sqrt(config.model.inputSize));
  if (side * side === config.model.inputSize) return { rows: side, cols: side };
  const set = loadTestSet(config, 1);
  return { rows: set.rows, cols: set.cols };
}

