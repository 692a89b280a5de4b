// Flags of `vae train`, checked once into a frozen TrainFlags.
import type { BackendChoice } from "@vae/model";
import type { RunConfig } from "@vae/training";
import { TRAIN_DEFAULTS } from "../defaults.ts";
import { RUN_DEFINING_FLAGS, UsageError, backendFlag, intFlag, parseRunConfigFlags, stringFlag, type RawFlags } from "@vae/cli";

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

export function parseTrainFlags(raw: RawFlags): TrainFlags {
  const d = TRAIN_DEFAULTS;
  const config = parseRunConfigFlags(raw);
  const resume = raw.resume === undefined ? undefined : stringFlag("resume", raw.resume, "");
  if (resume !== undefined) {
    const clashing = [...RUN_DEFINING_FLAGS, ["run-dir", "runDir"] as const].filter(([, key]) => raw[key] !== undefined).map(([flag]) => `--${flag}`);
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

export { RUN_DEFINING_FLAGS, withImageSize } from "@vae/cli";
