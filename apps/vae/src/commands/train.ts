// vae train: single-process training (the reference loop of @vae/training)
// with a progress display, a test evaluation and a sample grid per epoch, and
// checkpoints in runs/<run>/checkpoints. SIGINT/SIGTERM stop after the step in
// progress; the final checkpoint is still written and the exit code is 0.
import { existsSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import { CheckpointError, findLatestValid, readCheckpoint, type CheckpointData } from "@vae/checkpoint";
import type { Dataset } from "@vae/data";
import {
  Schedule,
  createRunDir,
  loadRunDataset,
  fromCheckpoint,
  openRunDir,
  renderSamplesPng,
  trainSingleProcess,
  validateRunConfig,
  type ReplicaState,
  type RunConfig,
  type RunDir,
  type StepLosses,
} from "@vae/training";
import { initBackend } from "../backend.ts";
import { FIGURE_DEFAULTS, TRAIN_DEFAULTS } from "../defaults.ts";
import { CliError, RateMeter, addRunConfigOptions, createProgress, formatDuration, type RawFlags } from "@vae/cli";
import { addBackendOption, type CommandRunner } from "./common.ts";
import { parseTrainFlags, withImageSize, type TrainFlags } from "./train-flags.ts";

/** One line per epoch; `vae eval` prints the same quantities. The ELBO is reconstruction + KL whatever beta is. */
export function formatTestLine(epoch: number, epochs: number, test: StepLosses, seconds: number): string {
  return `epoch ${epoch}/${epochs} test: -ELBO ${(test.reconstruction + test.kl).toFixed(2)} nats (reconstruction ${test.reconstruction.toFixed(2)}, KL ${test.kl.toFixed(2)}) after ${formatDuration(seconds)}`;
}

function loadData(config: RunConfig): Dataset {
  try {
    return loadRunDataset(config);
  } catch (e) {
    throw new CliError(`cannot load dataset ${JSON.stringify(config.dataset)}: ${(e as Error).message}`);
  }
}

/** The checkpoint to continue from and the run directory it belongs to. */
async function findResumePoint(path: string): Promise<{ root: string; checkpoint: string; data: CheckpointData }> {
  if (!existsSync(path)) throw new CliError(`--resume ${path}: no such directory`);
  try {
    if (existsSync(join(path, "state.json"))) {
      // One checkpoint named explicitly: runs/<run>/checkpoints/<step-dir or latest>.
      return { root: dirname(dirname(path)), checkpoint: path, data: await readCheckpoint(path) };
    }
    const isCheckpointsDir = basename(path) === "checkpoints" || existsSync(join(path, "latest"));
    const dir = isCheckpointsDir ? path : join(path, "checkpoints");
    const found = await findLatestValid(dir, (line) => console.log(line));
    if (found === null) throw new CliError(`--resume ${path}: no valid checkpoint in ${dir}`);
    return { root: isCheckpointsDir ? dirname(path) : path, checkpoint: found.path, data: found.data };
  } catch (e) {
    if (e instanceof CheckpointError) throw new CliError(`--resume ${path}: ${e.message}`);
    throw e;
  }
}

export async function runTrain(f: TrainFlags): Promise<number> {
  await initBackend(f.backend);
  let config: RunConfig;
  let dataset: Dataset;
  let run: RunDir;
  let resume: ReplicaState | undefined;
  if (f.resume !== undefined) {
    const point = await findResumePoint(f.resume);
    try {
      config = validateRunConfig({ ...(point.data.config as object), ...(f.epochsGiven ? { epochs: f.config.epochs } : {}), ...(f.config.dataDir ? { dataDir: f.config.dataDir } : {}) });
    } catch (e) {
      throw new CliError(`--resume ${f.resume}: the checkpoint holds an invalid run config: ${(e as Error).message}`);
    }
    dataset = loadData(config);
    if (dataset.train.rows * dataset.train.cols !== config.model.inputSize) {
      throw new CliError(`--resume ${f.resume}: dataset images are ${dataset.train.rows}x${dataset.train.cols}, the model expects ${config.model.inputSize} pixels`);
    }
    run = openRunDir(point.root, config);
    resume = fromCheckpoint(point.data);
    console.log(`resuming from ${point.checkpoint} at step ${resume.step}`);
  } else {
    dataset = loadData(f.config);
    config = withImageSize(f.config, dataset.train.rows, dataset.train.cols);
    run = createRunDir(f.runDir, config);
  }
  console.log(`run directory: ${run.root}`);

  const schedule = new Schedule(dataset.train.count, config.batchSize, config.epochs);
  const lastStep = f.maxSteps > 0 ? Math.min(f.maxSteps, schedule.totalSteps) : schedule.totalSteps;
  const m = config.model;
  console.log(`data: ${dataset.name}, ${dataset.train.count} training and ${dataset.test.count} test images of ${dataset.train.rows}x${dataset.train.cols}${config.binarize ? ", dynamically binarized" : ""}`);
  console.log(
    `model: ${[m.inputSize, ...m.hiddenSizes, m.latentSize].join("-")} ${m.decoder} decoder, beta ${m.beta}; ` +
      `batch ${config.batchSize}, lr ${config.learningRate}, seed ${config.seed}; ${schedule.stepsPerEpoch} steps per epoch, ${config.epochs} epochs, steps ${resume?.step ?? 0}..${lastStep}`,
  );
  if ((resume?.step ?? 0) >= lastStep) {
    console.log(`nothing to do: the run is at step ${resume?.step ?? 0} of ${lastStep}`);
    return 0;
  }

  const progress = createProgress();
  const meter = new RateMeter();
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) {
      progress.stop();
      process.stderr.write(`${signal} again: quitting without a final checkpoint\n`);
      process.exit(130);
    }
    progress.line(`${signal}: stopping after the current step, then writing a final checkpoint (send it again to quit at once)`);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const started = performance.now();
  let tick = started;
  try {
    const result = await trainSingleProcess(
      {
        config,
        dataset,
        checkpointDir: run.checkpoints,
        checkpointEvery: f.checkpointEvery,
        keepCheckpoints: f.keepCheckpoints,
        maxSteps: lastStep,
        ...(resume ? { resume } : {}),
        signal: abort.signal,
      },
      {
        onStep(at, loss) {
          const now = performance.now();
          meter.record(at.batchLength, (now - tick) / 1000);
          tick = now;
          const done = at.globalStep + 1;
          progress.update({
            epoch: at.epoch + 1,
            epochs: config.epochs,
            stepInEpoch: at.stepInEpoch + 1,
            stepsPerEpoch: schedule.stepsPerEpoch,
            globalStep: done,
            totalSteps: lastStep,
            loss,
            samplesPerSecond: meter.samplesPerSecond,
            etaSeconds: meter.eta(lastStep - done),
          });
        },
        async onEpochEnd(epoch, test, replica) {
          if (test) progress.line(formatTestLine(epoch + 1, config.epochs, test, (performance.now() - started) / 1000));
          // The same figure the coordinator writes: fixed prior draws, so epochs compare.
          const png = await renderSamplesPng(replica.model, config, dataset.train.rows, dataset.train.cols, FIGURE_DEFAULTS.sampleCount);
          const path = join(run.samples, `epoch-${epoch + 1}.png`);
          writeFileSync(path, png);
          progress.line(`epoch ${epoch + 1}/${config.epochs} samples: ${path}`);
          tick = performance.now(); // evaluation time is not step time
        },
        onCheckpoint(path) {
          progress.line(`checkpoint: ${path}`);
        },
      },
    );
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    const stopped = abort.signal.aborted ? "stopped by signal " : "";
    console.log(`${stopped}at step ${result.steps} of ${lastStep} after ${formatDuration(seconds)}; checkpoints in ${run.checkpoints}`);
    result.replica.dispose();
    return 0;
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function registerTrain(program: Command, run: CommandRunner): void {
  const d = TRAIN_DEFAULTS;
  const cmd = program
    .command("train")
    .description("train a VAE in this process, writing runs/<run>/{config.json, checkpoints/, samples/}")
    .option("--max-steps <n>", `stop after N global steps in total; 0 = all epochs (default: ${d.maxSteps})`)
    .option("--run-dir <dir>", `parent directory of run directories (default: ${d.runDir})`)
    .option("--checkpoint-every <n>", `checkpoint every N steps; 0 = only at the end (default: ${d.checkpointEvery})`)
    .option("--keep-checkpoints <n>", `checkpoints to keep (default: ${d.keepCheckpoints})`)
    .option("--resume <dir>", "continue a run: its run directory, checkpoints directory or one checkpoint");
  addRunConfigOptions(cmd);
  addBackendOption(cmd);
  cmd.action((raw: RawFlags) => run(() => runTrain(parseTrainFlags(raw))));
}
