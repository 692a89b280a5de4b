// vae latent-grid: the learned 2-D manifold, decoded over a grid of N(0, I)
// quantiles as in Kingma & Welling (2014), figure 4.
import type { Command } from "commander";
import type { BackendChoice } from "@vae/model";
import { initBackend } from "../backend.ts";
import { FIGURE_DEFAULTS } from "../defaults.ts";
import { CliError } from "@vae/cli";
import { figureGrid, saveFigure } from "../figure.ts";
import { backendFlag, intFlag, requiredString, type RawFlags } from "@vae/cli";
import { latentGridPoints } from "../normal.ts";
import { imageShape, loadTrainedModel } from "../trained-model.ts";
import { addBackendOption, addCheckpointOptions, type CommandRunner } from "./common.ts";

export interface LatentGridFlags {
  backend: BackendChoice;
  checkpoint: string;
  out: string;
  size: number;
}

export function parseLatentGridFlags(raw: RawFlags): LatentGridFlags {
  return Object.freeze({
    backend: backendFlag(raw),
    checkpoint: requiredString("checkpoint", raw.checkpoint),
    out: requiredString("out", raw.out),
    size: intFlag("size", raw.size, FIGURE_DEFAULTS.latentGridSize, 2),
  });
}

export async function runLatentGrid(f: LatentGridFlags): Promise<number> {
  await initBackend(f.backend);
  const { model, config } = await loadTrainedModel(f.checkpoint);
  try {
    const L = config.model.latentSize;
    if (L !== 2) {
      throw new CliError(`latent-grid draws a 2-D latent space, but checkpoint ${f.checkpoint} has latent size ${L}; train with --latent 2 (or use vae sample)`);
    }
    const images = await model.decode(latentGridPoints(f.size));
    const n = f.size * f.size;
    console.log(saveFigure(f.out, figureGrid(images, n, imageShape(config), f.size), `${f.size}x${f.size} decoded N(0, I) quantiles`));
  } finally {
    model.dispose();
  }
  return 0;
}

export function registerLatentGrid(program: Command, run: CommandRunner): void {
  const cmd = program.command("latent-grid").description("for a latent size of 2: the decoded manifold over a grid of N(0, I) quantiles, as a PNG");
  addCheckpointOptions(cmd);
  cmd.option("--size <n>", `points per axis (default: ${FIGURE_DEFAULTS.latentGridSize})`);
  addBackendOption(cmd);
  cmd.action((raw: RawFlags) => run(() => runLatentGrid(parseLatentGridFlags(raw))));
}
