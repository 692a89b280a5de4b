// vae reconstruct: test images on top, the decoded posterior means of their codes below.
import type { Command } from "commander";
import { gatherImages } from "@vae/data";
import { stackVertically } from "@vae/imaging";
import type { BackendChoice } from "@vae/model";
import { initBackend } from "../backend.ts";
import { FIGURE_DEFAULTS } from "../defaults.ts";
import { figureGrid, saveFigure } from "../figure.ts";
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
  const x = gatherImages(set, Uint32Array.from({ length: n }, (_, i) => i));
  // The reconstruction of x is the decoder mean at the posterior mean of z: no sampling noise in the figure.
  const { mu } = await model.encode(x);
  const recon = await model.decode(mu);
  const columns = Math.min(n, FIGURE_DEFAULTS.maxColumns);
  const shape = { rows: set.rows, cols: set.cols };
  const figure = stackVertically([figureGrid(x, n, shape, columns), figureGrid(recon, n, shape, columns)], FIGURE_DEFAULTS.padding * 2);
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
