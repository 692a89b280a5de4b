// vae reconstruct: test images on top, the decoded posterior means of their codes below.
import type { Command } from "commander";
import { reconstructionFigure } from "@vae/training";
import type { BackendChoice } from "@vae/model";
import { initBackend } from "../backend.ts";
import { FIGURE_DEFAULTS } from "../defaults.ts";
import { saveFigure } from "../figure.ts";
import { backendFlag, intFlag, requiredString, type RawFlags } from "@vae/cli";
import { loadTestSet, loadTrainedModel } from "../trained-model.ts";
import { addBackendOption, addCheckpointOptions, type CommandRunner } from "./common.ts";

export interface ReconstructFlags {
  backend: BackendChoice;
  checkpoint: string;
  out: string;
  count: number;
}

export function parseReconstructFlags(raw: RawFlags): ReconstructFlags {
  return Object.freeze({
    backend: backendFlag(raw),
    checkpoint: requiredString("checkpoint", raw.checkpoint),
    out: requiredString("out", raw.out),
    count: intFlag("count", raw.count, FIGURE_DEFAULTS.reconstructCount, 1),
  });
}

export async function runReconstruct(f: ReconstructFlags): Promise<number> {
  await initBackend(f.backend);
  const { model, config } = await loadTrainedModel(f.checkpoint);
  const set = loadTestSet(config, f.count);
  const n = set.count; // fewer when the test set is smaller than --count
  const figure = await reconstructionFigure(model, set, n, { columns: FIGURE_DEFAULTS.maxColumns, padding: FIGURE_DEFAULTS.padding, scale: FIGURE_DEFAULTS.scale });
  console.log(saveFigure(f.out, figure, `test images 0..${n - 1} above their reconstructions`));
  model.dispose();
  return 0;
}

export function registerReconstruct(program: Command, run: CommandRunner): void {
  const cmd = program.command("reconstruct").description("test images above their reconstructions (decoded posterior means), as a PNG");
  addCheckpointOptions(cmd);
  cmd.option("--count <n>", `test images to show (default: ${FIGURE_DEFAULTS.reconstructCount})`);
  addBackendOption(cmd);
  cmd.action((raw: RawFlags) => run(() => runReconstruct(parseReconstructFlags(raw))));
}
