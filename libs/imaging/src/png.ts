// The one file that speaks PNG (through pngjs): 8-bit grayscale in and out.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { PNG } from "pngjs";
import type { GrayImage } from "./grid.ts";

/** Encodes an 8-bit grayscale picture as a PNG (color type 0, bit depth 8). */
export function encodePng(image: GrayImage): Buffer {
  const { width, height, gray } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`encodePng: width and height must be positive integers, got ${width}x${height}`);
  }
  if (gray.length !== width * height) throw new RangeError(`encodePng: a ${width}x${height} image needs ${width * height} bytes, got ${gray.length}`);
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
}

/**
 * Writes the PNG to `path` (creating its directory), through a temporary file
 * and a rename so a reader never sees half a picture.
 */
export function writePng(path: string, image: GrayImage): void {
  const bytes = encodePng(image);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** Decodes any PNG to 8-bit grayscale (the red channel of color images: ours are gray). */
export function decodePng(bytes: Uint8Array): GrayImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const gray = new Uint8Array(png.width * png.height);
  for (let i = 0; i < gray.length; i++) gray[i] = png.data[i * 4]!; // pngjs always returns RGBA
  return { width: png.width, height: png.height, gray };
}

export function readPng(path: string): GrayImage {
  return decodePng(readFileSync(path));
}
