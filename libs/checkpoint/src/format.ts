// The on-disk format of one checkpoint directory (see README.md):
//   model.json     tfjs weights manifest without topology (tf.io.decodeWeights can read it)
//   weights.bin    parameters, float32 little-endian, manifest order
//   optimizer.bin  Adam's first moments m, then second moments v, float32 little-endian
//   state.json     step, epoch, seed, config, optimizer scalars, sha256 of the three files above
//                  and a sha256 of state.json itself (field "checksum")
import { createHash } from "node:crypto";

export const FORMAT_VERSION = 1;
export const MODEL_FILE = "model.json";
export const WEIGHTS_FILE = "weights.bin";
export const OPTIMIZER_FILE = "optimizer.bin";
export const STATE_FILE = "state.json";
/** The symlink, in the checkpoints directory, to the newest complete checkpoint. */
export const LATEST = "latest";
export const MODEL_FORMAT = "vae-cluster-weights";

export interface TensorSpec {
  name: string;
  shape: number[];
}

export interface CheckpointData {
  /** All parameters, flat, in `layout` order. */
  params: Float32Array;
  layout: TensorSpec[];
  /** Adam state: m and v are as long as params; every other field (name, learningRate, beta1, ...) goes to state.json. */
  optimizer: { m: Float32Array; v: Float32Array; t: number; [k: string]: unknown };
  /** Steps applied so far (the global step counter). */
  step: number;
  epoch: number;
  /** Position within the epoch, when the writer knows it. */
  stepInEpoch?: number;
  seed: number;
  /** Any JSON: model, data and training configuration. */
  config: unknown;
  /** Set by readCheckpoint; writeCheckpoint stamps the current time. */
  createdAt?: string;
}

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  generatedBy: string;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: "float32" }[] }[];
}

export interface StateJson {
  formatVersion: number;
  step: number;
  epoch: number;
  stepInEpoch?: number;
  seed: number;
  config: unknown;
  optimizer: { name: string; t: number; [k: string]: unknown };
  createdAt: string;
  files: Record<string, string>;
  /** "sha256:<hex>" of stateJsonBody(state without this field). */
  checksum?: string;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The canonical text of state.json without its checksum; the checksum is taken over it. */
export function stateJsonBody(state: StateJson): string {
  const { checksum: _omit, ...rest } = state;
  return JSON.stringify(rest, null, 2);
}

/** Number of floats a layout holds. */
export function layoutSize(layout: readonly TensorSpec[]): number {
  let n = 0;
  for (const t of layout) n += t.shape.reduce((a, b) => a * b, 1);
  return n;
}

export function buildModelJson(layout: readonly TensorSpec[]): ModelJson {
  return {
    format: MODEL_FORMAT,
    generatedBy: "vae-cluster",
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: layout.map((t) => ({ name: t.name, shape: [...t.shape], dtype: "float32" })) }],
  };
}

/** Checks a parsed model.json and returns its layout, or a message saying what is wrong. */
export function layoutFromModelJson(json: unknown): TensorSpec[] | string {
  const m = json as Partial<ModelJson> | null;
  if (typeof m !== "object" || m === null) return "not a JSON object";
  if (m.format !== MODEL_FORMAT) return `format is ${JSON.stringify(m.format)}, expected "${MODEL_FORMAT}"`;
  if (!Array.isArray(m.weightsManifest) || m.weightsManifest.length !== 1) return "weightsManifest must be an array of exactly one group";
  const group = m.weightsManifest[0]!;
  if (!Array.isArray(group.paths) || group.paths.length !== 1 || group.paths[0] !== WEIGHTS_FILE) {
    return `weightsManifest[0].paths is ${JSON.stringify(group.paths)}, expected ["${WEIGHTS_FILE}"]`;
  }
  if (!Array.isArray(group.weights)) return "weightsManifest[0].weights is not an array";
  const layout: TensorSpec[] = [];
  for (const [i, w] of group.weights.entries()) {
    const where = `weightsManifest[0].weights[${i}]`;
    if (typeof w?.name !== "string" || w.name === "") return `${where}.name must be a non-empty string`;
    if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return `${where}.shape must be an array of non-negative integers, got ${JSON.stringify(w.shape)}`;
    }
    if (w.dtype !== "float32") return `${where}.dtype is ${JSON.stringify(w.dtype)}, only "float32" is supported`;
    layout.push({ name: w.name, shape: [...w.shape] });
  }
  return layout;
}

// Float32 little-endian, bit for bit (NaN payloads included): on little-endian hosts (all
// that Node supports in practice) the array's own bytes are written; elsewhere each word is swapped.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function floatsToBytes(...arrays: Float32Array[]): Uint8Array {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const out = new Uint8Array(total * 4);
  let offset = 0;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  if (!LITTLE_ENDIAN) swapWords(out);
  return out;
}

/** Copies `count` floats starting at float `offset` out of little-endian bytes. */
export function bytesToFloats(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new Uint8Array(out.buffer);
  view.set(bytes.subarray(offset * 4, (offset + count) * 4));
  if (!LITTLE_ENDIAN) swapWords(view);
  return out;
}

function swapWords(b: Uint8Array): void {
  for (let i = 0; i < b.length; i += 4) {
    [b[i], b[i + 1], b[i + 2], b[i + 3]] = [b[i + 3]!, b[i + 2]!, b[i + 1]!, b[i]!];
  }
}

/** Directory name of the checkpoint of `step`: zero-padded so that names sort by step. */
export function stepDirName(step: number): string {
  return `step-${String(step).padStart(8, "0")}`;
}

/** The step of a `step-NNNNNNNN` directory name, or null for any other name. */
export function parseStepDirName(name: string): number | null {
  const m = /^step-(\d{8,})$/.exec(name);
  return m ? Number(m[1]) : null;
}
