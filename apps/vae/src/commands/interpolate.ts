// vae interpolate: decode evenly spaced points on the segment between the
// posterior means of two test images; the two originals frame the row.
import type { Command } from "commander";
import { gatherImages } from "@vae/data";
import type { BackendChoice } from "@vae/model";
import { initBackend } from "../backend.ts";
import { FIGURE_DEFAULTS } from "../defaults.ts";
import { UsageError } from "@vae/cli";
import { figureGrid, saveFigure } from "../figure.ts";
import { backendFlag, intFlag, requireTogether, requiredString, type RawFlags } from "@vae/cli";
import { loadTestSet, loadTrainedModel } from "../trained-model.ts";
import { addBackendOption, addCheckpointOptions, type CommandRunner } from "./common.ts";

export interface InterpolateFlags {
  backend: BackendChoice;
  checkpoint: string;
  out: string;
  from: number;
  to: number;
  steps: number;
}

export function parseInterpolateFlags(raw: RawFlags): InterpolateFlags {
  requireTogether(raw, "from", "to");
  const f = {
    backend: backendFlag(raw),
    checkpoint: requiredString("checkpoint", raw.checkpoint),
    out: requiredString("out", raw.out),
    from: intFlag("from", raw.from, FIGURE_DEFAULTS.interpolateFrom, 0),
    to: intFlag("to", raw.to, FIGURE_DEFAULTS.interpolateTo, 0),
    steps: intFlag("steps", raw.steps, FIGURE_DEFAULTS.interpolateSteps, 2),
  };
  if (f.from === f.to) throw new UsageError(`--from ${f.from} and --to ${f.to} name the same image; interpolating needs two`);
  return Object.freeze(f);
}

/** steps points z(t) = (1 - t) a + t b, t = i / (steps - 1), row-major. */
export function linePoints(a: Float32Array, b: Float32Array, steps: number): Float32Array {
  const L = a.length;
  const z = new Float32Array(steps * L);
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    for (let j = 0; j < L; j++) z[i * L + j] = (1 - t) * a[j]! + t * b[j]!;
  }
  return z;
}

export async function runInterpolate(f: InterpolateFlags): Promise<number> {
  await initBackend(f.backend);
  const { model, config } = await loadTrainedModel(f.checkpoint);
  const set = loadTestSet(config, Math.max(f.from, f.to) + 1);
  for (const [flag, index] of [["from", f.from], ["to", f.to]] as const) {
    if (index >= set.count) throw new UsageError(`--${flag}: expected a test image index in 0..${set.count - 1}, got ${index}`);
  }
  const x = gatherImages(set, [f.from, f.to]);
  const { mu } = await model.encode(x);
  const L = config.model.latentSize;
  const decoded = await model.decode(linePoints(mu.subarray(0, L), mu.subarray(L, 2 * L), f.steps));
  const px = set.rows * set.cols;
  const row = new Float32Array((f.steps + 2) * px);
  row.set(x.subarray(0, px), 0);
  row.set(decoded, px);
  row.set(x.subarray(px), (f.steps + 1) * px);
  const figure = figureGrid(row, f.steps + 2, { rows: set.rows, cols: set.cols }, f.steps + 2);
  console.log(saveFigure(f.out, figure, `test image ${f.from}, ${f.steps} decoded points between the posterior means, test image ${f.to}`));
  model.dispose();
  return 0;
}

export function registerInterpolate(program: Command, run: CommandRunner): void {
  const cmd = program.command("interpolate").description("decode the line between the posterior means of two test images, as a PNG");
  addCheckpointOptions(cmd);
  cmd
    .option("--from <i>", `index of the first test image (default: ${FIGURE_DEFAULTS.interpolateFrom})`)
    .option("--to <j>", `index of the second test image (default: ${FIGURE_DEFAULTS.interpolateTo})`)
    .option("--steps <n>", `decoded points, both ends included (default: ${FIGURE_DEFAULTS.interpolateSteps})`);
  addBackendOption(cmd);
  cmd.action((raw: RawFlags) => run(() => runInterpolate(parseInterpolateFlags(raw))));
}
