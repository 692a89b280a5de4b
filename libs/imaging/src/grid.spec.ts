import { describe, expect, it } from "vitest";
import { imageGrid, stackVertically, toByte } from "./grid.ts";

// Three 2x3 images whose pixel values encode (image, row, col), so misplacement shows.
const rows = 2;
const cols = 3;
const n = 3;
const images = Float32Array.from({ length: n * rows * cols }, (_, i) => i / (n * rows * cols - 1));
const valueAt = (k: number, r: number, c: number) => toByte(images[k * rows * cols + r * cols + c]!);

describe("imageGrid", () => {
  it("sizes the grid from columns, padding and scale, and fills empty cells with background", () => {
    const g = imageGrid(images, n, rows, cols, { columns: 2, padding: 1, scale: 2, background: 7 });
    expect(g.width).toBe(2 * cols * 2 + 3 * 1);
    expect(g.height).toBe(2 * rows * 2 + 3 * 1);
    expect(g.gray.length).toBe(g.width * g.height);
    // Top-left border pixel and the empty 4th cell are background.
    expect(g.gray[0]).toBe(7);
    const emptyX = 1 + (cols * 2 + 1);
    const emptyY = 1 + (rows * 2 + 1);
    expect(g.gray[emptyY * g.width + emptyX]).toBe(7);
  });

  it("puts image k at row k / columns, column k % columns, magnified by nearest neighbour", () => {
    const pad = 2;
    const scale = 3;
    const g = imageGrid(images, n, rows, cols, { columns: 2, padding: pad, scale });
    for (let k = 0; k < n; k++) {
      const x0 = pad + (k % 2) * (cols * scale + pad);
      const y0 = pad + Math.floor(k / 2) * (rows * scale + pad);
      for (let y = 0; y < rows * scale; y++) {
        for (let x = 0; x < cols * scale; x++) {
          expect(g.gray[(y0 + y) * g.width + x0 + x]).toBe(valueAt(k, Math.floor(y / scale), Math.floor(x / scale)));
        }
      }
    }
  });

  it("clamps out-of-range intensities and maps NaN to 0", () => {
    const g = imageGrid(Float32Array.from([-1, 0.5, 2, NaN]), 1, 2, 2, { columns: 1, padding: 0 });
    expect([...g.gray]).toEqual([0, 128, 255, 0]);
  });

  it("rejects bad shapes and options, naming the field and value", () => {
    expect(() => imageGrid(images, 4, rows, cols, { columns: 2, padding: 0 })).toThrow(/4 images of 2x3 need 24 floats, got 18/);
    expect(() => imageGrid(images, n, rows, cols, { columns: 0, padding: 0 })).toThrow(/columns must be an integer.*got 0/);
    expect(() => imageGrid(images, n, rows, cols, { columns: 1, padding: 0, scale: 1.5 })).toThrow(/scale .*got 1.5/);
  });
});

describe("stackVertically", () => {
  it("stacks pictures top to bottom with a gap, left-aligned", () => {
    const a = { width: 2, height: 1, gray: Uint8Array.from([1, 2]) };
    const b = { width: 3, height: 2, gray: Uint8Array.from([3, 4, 5, 6, 7, 8]) };
    const s = stackVertically([a, b], 1, 0);
    expect(s.width).toBe(3);
    expect(s.height).toBe(4);
    expect([...s.gray]).toEqual([1, 2, 0, 0, 0, 0, 3, 4, 5, 6, 7, 8]);
  });
});
