// Lays out many small grayscale images as one picture: the shape every `vae`
// output (samples, reconstructions, interpolations, latent manifolds) takes
// before it becomes a PNG.

/** An 8-bit grayscale picture, row-major, width*height bytes. */
export interface GrayImage {
  width: number;
  height: number;
  gray: Uint8Array;
}

export interface GridOptions {
  /** Images per grid row; the last row may be partly empty. */
  columns: number;
  /** Pixels of background between cells and around the border (output pixels, after scaling). */
  padding: number;
  /** Integer nearest-neighbour magnification of each image (default 1). */
  scale?: number;
  /** Gray level (0..255) of the padding and of empty cells (default 128: visible against white-on-black digits). */
  background?: number;
}

/** Largest side of a grid we agree to allocate: 16384 px, well past any sensible figure. */
export const MAX_GRID_SIDE = 1 << 14;

function checkInt(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`imageGrid: ${name} must be an integer in [${min}, ${max}], got ${v}`);
}

/** Maps an intensity in [0, 1] to a byte; out-of-range values are clamped and NaN becomes 0. */
export function toByte(v: number): number {
  if (!(v > 0)) return 0; // also NaN
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/**
 * Places n images of rows x cols (intensities in [0, 1], one image after another)
 * in a grid of `columns` columns, row by row, left to right.
 */
export function imageGrid(images: Float32Array, n: number, rows: number, cols: number, opts: GridOptions): GrayImage {
  checkInt("n", n, 1);
  checkInt("rows", rows, 1);
  checkInt("cols", cols, 1);
  checkInt("columns", opts.columns, 1);
  checkInt("padding", opts.padding, 0, 1024);
  const scale = opts.scale ?? 1;
  checkInt("scale", scale, 1, 64);
  const background = opts.background ?? 128;
  checkInt("background", background, 0, 255);
  const px = rows * cols;
  if (images.length < n * px) {
    throw new RangeError(`imageGrid: ${n} images of ${rows}x${cols} need ${n * px} floats, got ${images.length}`);
  }

  const gridCols = Math.min(opts.columns, n);
  const gridRows = Math.ceil(n / gridCols);
  const cellW = cols * scale;
  const cellH = rows * scale;
  const width = gridCols * cellW + (gridCols + 1) * opts.padding;
  const height = gridRows * cellH + (gridRows + 1) * opts.padding;
  if (width > MAX_GRID_SIDE || height > MAX_GRID_SIDE) {
    throw new RangeError(`imageGrid: a ${width}x${height} grid exceeds the ${MAX_GRID_SIDE}px limit per side`);
  }
  const gray = new Uint8Array(width * height).fill(background);

  for (let k = 0; k < n; k++) {
    const x0 = opts.padding + (k % gridCols) * (cellW + opts.padding);
    const y0 = opts.padding + Math.floor(k / gridCols) * (cellH + opts.padding);
    for (let r = 0; r < cellH; r++) {
      const srcRow = k * px + Math.floor(r / scale) * cols;
      const dstRow = (y0 + r) * width + x0;
      for (let c = 0; c < cellW; c++) gray[dstRow + c] = toByte(images[srcRow + Math.floor(c / scale)]!);
    }
  }
  return { width, height, gray };
}

/**
 * Stacks pictures top to bottom with `gap` background pixels between them
 * (e.g. originals above their reconstructions); narrower ones are left-aligned.
 */
export function stackVertically(parts: readonly GrayImage[], gap = 0, background = 128): GrayImage {
  if (parts.length === 0) throw new RangeError("stackVertically: no images to stack");
  checkInt("gap", gap, 0, 1024);
  checkInt("background", background, 0, 255);
  const width = Math.max(...parts.map((p) => p.width));
  const height = parts.reduce((h, p) => h + p.height, 0) + gap * (parts.length - 1);
  const gray = new Uint8Array(width * height).fill(background);
  let y = 0;
  for (const p of parts) {
    if (p.gray.length !== p.width * p.height) {
      throw new RangeError(`stackVertically: a ${p.width}x${p.height} image holds ${p.gray.length} bytes`);
    }
    for (let r = 0; r < p.height; r++) gray.set(p.gray.subarray(r * p.width, (r + 1) * p.width), (y + r) * width);
    y += p.height + gap;
  }
  return { width, height, gray };
}
