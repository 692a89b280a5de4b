import { encodePng, imageGrid } from "@vae/imaging";
import { Purpose, Rng } from "@vae/random";
import type { VaeModel } from "@vae/model";
import type { RunConfig } from "./run-config.ts";

/** Key that separates the figures' prior draws from every training stream ("prio"). */
const PRIOR_STREAM = 0x7072696f;

/** `count` draws of z ~ N(0, I), row i from Rng(seed, Eval, PRIOR_STREAM, i): the same seed gives the same figure. */
export function priorDraws(seed: number, count: number, latentSize: number): Float32Array {
  const z = new Float32Array(count * latentSize);
  for (let i = 0; i < count; i++) new Rng(seed, Purpose.Eval, PRIOR_STREAM, i).fillNormal(z, i * latentSize, latentSize);
  return z;
}

/** The per-epoch sample figure: `count` decodes of fixed prior draws as a PNG grid (same z every epoch, so epochs compare). */
export async function renderSamplesPng(model: VaeModel, config: RunConfig, rows: number, cols: number, count = 64): Promise<Uint8Array> {
  const images = await model.decode(priorDraws(config.seed, count, config.model.latentSize));
  const grid = imageGrid(images, count, rows, cols, { columns: Math.ceil(Math.sqrt(count)), padding: 2 });
  return new Uint8Array(encodePng(grid));
}
