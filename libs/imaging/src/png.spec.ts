import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { imageGrid } from "./grid.ts";
import { decodePng, encodePng, readPng, writePng } from "./png.ts";

const dir = mkdtempSync(join(tmpdir(), "vae-imaging-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Five 4x4 images with distinct, known intensities.
const n = 5;
const images = Float32Array.from({ length: n * 16 }, (_, i) => ((i * 37) % 256) / 255);

describe("PNG encoding", () => {
  it("a grid's PNG decodes back (with pngjs itself) to the same size and pixel values", () => {
    const grid = imageGrid(images, n, 4, 4, { columns: 3, padding: 2, scale: 2 });
    const png = PNG.sync.read(encodePng(grid));
    expect(png.width).toBe(grid.width);
    expect(png.height).toBe(grid.height);
    expect(png.colorType).toBe(0);
    for (let i = 0; i < grid.gray.length; i++) {
      // pngjs hands back RGBA; a gray PNG has R = G = B = the gray level, A = 255.
      expect([png.data[i * 4], png.data[i * 4 + 1], png.data[i * 4 + 2], png.data[i * 4 + 3]]).toEqual([grid.gray[i], grid.gray[i], grid.gray[i], 255]);
    }
  });

  it("writePng creates missing directories and leaves a file that readPng returns unchanged", () => {
    const grid = imageGrid(images, n, 4, 4, { columns: 5, padding: 1 });
    const path = join(dir, "nested", "deeper", "grid.png");
    writePng(path, grid);
    expect(readFileSync(path).subarray(1, 4).toString("latin1")).toBe("PNG");
    const back = readPng(path);
    expect(back.width).toBe(grid.width);
    expect(back.height).toBe(grid.height);
    expect(back.gray).toEqual(grid.gray);
    expect(decodePng(readFileSync(path)).gray).toEqual(grid.gray);
  });

  it("rejects a byte count that does not match the size", () => {
    expect(() => encodePng({ width: 3, height: 2, gray: new Uint8Array(5) })).toThrow(/3x2 image needs 6 bytes, got 5/);
  });
});
