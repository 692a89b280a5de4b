// vae sample: decode z ~ N(0, I) into a PNG grid.
import type { Command } from "commander";
import type { BackendChoice } from "@vae/model";
import { priorDraws } from "@vae/training";
import { initBackend } from "../backend.ts";
import { FIGURE_DEFAULTS } from "../defaults.ts";
import { figureGrid, saveFigure } from "../figure.ts";
import { backendFlag, intFlag, requiredString, type RawFlags } from "@vae/cli";
import { imageShape, loadTrainedModel } from "../trained-model.ts";
import { addBackendOption, addCheckpointOptions, type CommandRunner } from "./common.ts";

export interface SampleFlags {
  backend: BackendChoice;
  checkpoint: string;
  out: string;
  count: number;
  /** Seed of the prior draws; undefined: the run's seed. */
  seed: number | undefined;
}

export function parseSampleFlags(raw: RawFlags): SampleFlags {
  return Object.freeze({
    backend: backendFlag(raw),
    checkpoint: requiredString("checkpoint", raw.checkpoint),
    out: requiredString("out", raw.out),
    count: intFlag("count", raw.count, FIGURE_DEFAULTS.sampleCount, 1),
    seed: raw.seed === undefined ? undefined : intFlag("seed", raw.seed, 0, 0),
  });
}

export async function runSample(f: SampleFlags): Promise<number> {
  await initBackend(f.backend);
  const { model, config } = await loadTrainedModel(f.checkpoint);
  const seed = f.seed ?? config.seed;
  const images = await model.decode(priorDraws(seed, f.count, config.model.latentSize));
  console.log(saveFigure(f.out, figureGrid(images, f.count, imageShape(config)), `${f.count} decoded draws of z ~ N(0, I), seed ${seed}`));
  model.dispose();
  return 0;
}

export function registerSample(program: Command, run: CommandRunner): void {
  const cmd = program.command("sample").description("decode draws of z ~ N(0, I) into a PNG grid");
  addCheckpointOptions(cmd);
  cmd
    .option("--count <n>", `images to draw (default: ${FIGURE_DEFAULTS.sampleCount})`)
    .option("--seed <s>", "seed of the draws (default: the run's seed)");
  addBackendOption(cmd);
  cmd.action((raw: RawFlags) => run(() => runSample(parseSampleFlags(raw))));
}
