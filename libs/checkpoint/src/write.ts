// Writing a checkpoint so that a crash at any instant leaves `latest` pointing at a
// complete, verified checkpoint (or, before the first one, at nothing).
//
// Note [Checkpoint atomicity]
// a) Write model.json, weights.bin, optimizer.bin, state.json into a fresh
//    checkpoints/tmp-<step>-<pid>-<random>/, fsyncing each file. state.json, written last,
//    holds the sha256 of the others and of itself.
// b) Fsync tmp-*/ so its entries are durable.
// c) Rename tmp-*/ to checkpoints/step-<8-digit step>/ (rename is atomic within a filesystem)
//    and fsync checkpoints/. From here on the checkpoint is complete under its final name.
// d) Create a symlink latest.tmp-<random> -> step-<step> (relative, so the run directory can
//    be moved), rename it over `latest` (atomic), and fsync checkpoints/.
// A crash before c) leaves only a tmp-* directory, which readers never look at and
// pruneCheckpoints removes; a crash between c) and d) leaves `latest` at the previous
// checkpoint. Readers verify every checksum anyway, so a torn or corrupted file is
// detected, and findLatestValid falls back to the newest checkpoint that verifies.
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDir, replaceSymlink, writeFileDurable } from "./durable-fs.ts";
import {
  FORMAT_VERSION,
  LATEST,
  MODEL_FILE,
  OPTIMIZER_FILE,
  STATE_FILE,
  WEIGHTS_FILE,
  buildModelJson,
  floatsToBytes,
  layoutSize,
  sha256,
  stateJsonBody,
  stepDirName,
  type CheckpointData,
  type StateJson,
} from "./format.ts";

/** Writes `data` as checkpoints/step-<step>/ under the checkpoints directory `dir`, then moves `latest` to it. Returns the final path. */
export async function writeCheckpoint(dir: string, data: CheckpointData): Promise<string> {
  validate(data);
  const { m, v, ...optimizerScalars } = data.optimizer;
  const weights = floatsToBytes(data.params);
  const optimizer = floatsToBytes(m, v);
  const model = new TextEncoder().encode(JSON.stringify(buildModelJson(data.layout), null, 2));
  const state: StateJson = {
    formatVersion: FORMAT_VERSION,
    step: data.step,
    epoch: data.epoch,
    ...(data.stepInEpoch === undefined ? {} : { stepInEpoch: data.stepInEpoch }),
    seed: data.seed,
    config: data.config ?? null,
    optimizer: { name: "adam", ...optimizerScalars },
    createdAt: new Date().toISOString(),
    files: { [MODEL_FILE]: sha256(model), [WEIGHTS_FILE]: sha256(weights), [OPTIMIZER_FILE]: sha256(optimizer) },
  };
  state.checksum = `sha256:${sha256(stateJsonBody(state))}`;

  await mkdir(dir, { recursive: true });
  const nonce = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(dir, `tmp-${stepDirName(data.step)}-${nonce}`);
  const finalName = stepDirName(data.step);
  const final = join(dir, finalName);
  await mkdir(tmp);
  try {
    // a), b): See Note [Checkpoint atomicity].
    await writeFileDurable(join(tmp, MODEL_FILE), model);
    await writeFileDurable(join(tmp, WEIGHTS_FILE), weights);
    await writeFileDurable(join(tmp, OPTIMIZER_FILE), optimizer);
    await writeFileDurable(join(tmp, STATE_FILE), new TextEncoder().encode(JSON.stringify(state, null, 2) + "\n"));
    await fsyncDir(tmp);
    // c) A checkpoint of the same step (e.g. written again after a resume) is moved aside
    // first: rename cannot replace a non-empty directory. Until the next rename, `latest`
    // may dangle; readers then fall back to the previous step. The old copy is a tmp-* dir
    // that a crash leaves for pruneCheckpoints.
    let replaced: string | null = null;
    if (await exists(final)) {
      replaced = join(dir, `tmp-replaced-${finalName}-${nonce}`);
      await rename(final, replaced);
    }
    await rename(tmp, final);
    await fsyncDir(dir);
    if (replaced) await rm(replaced, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  // d)
  await replaceSymlink(finalName, join(dir, LATEST), join(dir, `${LATEST}.tmp-${nonce}`));
  await fsyncDir(dir);
  return final;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

function validate(data: CheckpointData): void {
  const names = new Set<string>();
  for (const [i, t] of data.layout.entries()) {
    if (typeof t.name !== "string" || t.name === "") throw new TypeError(`writeCheckpoint: layout[${i}].name must be a non-empty string`);
    if (names.has(t.name)) throw new TypeError(`writeCheckpoint: layout[${i}].name ${JSON.stringify(t.name)} is used twice`);
    names.add(t.name);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new TypeError(`writeCheckpoint: layout[${i}] (${t.name}).shape must hold non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
  }
  const n = layoutSize(data.layout);
  if (data.params.length !== n) throw new RangeError(`writeCheckpoint: params has ${data.params.length} floats, layout needs ${n}`);
  for (const k of ["m", "v"] as const) {
    const arr = data.optimizer[k];
    if (!(arr instanceof Float32Array) || arr.length !== n) {
      throw new RangeError(`writeCheckpoint: optimizer.${k} must be a Float32Array of ${n} floats, got ${arr instanceof Float32Array ? arr.length : typeof arr}`);
    }
  }
  for (const [field, value] of [["step", data.step], ["epoch", data.epoch], ["seed", data.seed], ["optimizer.t", data.optimizer.t]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`writeCheckpoint: ${field} must be a non-negative integer, got ${value}`);
  }
  if (data.stepInEpoch !== undefined && !(Number.isSafeInteger(data.stepInEpoch) && data.stepInEpoch >= 0)) {
    throw new RangeError(`writeCheckpoint: stepInEpoch must be a non-negative integer, got ${data.stepInEpoch}`);
  }
}
