// How the tool lays out its figures; the padding and scale come from defaults.ts.
import { imageGrid, writePng, type GrayImage } from "@vae/imaging";
import { FIGURE_DEFAULTS } from "./defaults.ts";

export interface ImageShape {
  rows: number;
  cols: number;
}

/** n images in `columns` columns (default: a near-square grid). */
export function figureGrid(images: Float32Array, n: number, shape: ImageShape, columns = Math.ceil(Math.sqrt(n))): GrayImage {
  return imageGrid(images, n, shape.rows, shape.cols, { columns, padding: FIGURE_DEFAULTS.padding, scale: FIGURE_DEFAULTS.scale });
}

/** Writes the figure and returns the line the commands print about it. */
export function saveFigure(path: string, image: GrayImage, what: string): string {
  writePng(path, image);
  return `wrote ${path} (${image.width}x${image.height}, ${what})`;
}
