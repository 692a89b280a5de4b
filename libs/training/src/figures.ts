import { gatherImages, type ImageSet } from "@vae/data";
import { encodePng, imageGrid, stackVertically, type GrayImage } from "@vae/imaging";
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

/**
 * The first `count` images of `set` (top) above their reconstructions (bottom): the decoder mean at the
 * posterior mean of z, so the figure has no sampling noise.
 */
export async function reconstructionFigure(model: VaeModel, set: ImageSet, count: number, layout: { columns: number; padding: number; scale?: number }): Promise<GrayImage> {
  const n = Math.min(count, set.count);
  const x = gatherImages(set, Uint32Array.from({ length: n }, (_, i) => i));
  const { mu } = await model.encode(x);
  const recon = await model.decode(mu);
  const grid = (images: Float32Array) => imageGrid(images, n, set.rows, set.cols, { columns: Math.min(n, layout.columns), padding: layout.padding, ...(layout.scale ? { scale: layout.scale } : {}) });
  return stackVertically([grid(x), grid(recon)], layout.padding * 2);
}

/** The dashboard's per-epoch reconstruction figure as PNG bytes. */
export async function renderReconstructionsPng(model: VaeModel, set: ImageSet, count = 16): Promise<Uint8Array> {
  return new Uint8Array(encodePng(await reconstructionFigure(model, set, count, { columns: 16, padding: 2 })));
}
