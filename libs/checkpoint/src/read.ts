// Reading a checkpoint back and refusing anything that does not verify: every file's
// sha256, state.json's own checksum, the sizes against the manifest, the format version.
import { lstat, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { CheckpointError } from "./errors.ts";
import {
  FORMAT_VERSION,
  LATEST,
  MODEL_FILE,
  OPTIMIZER_FILE,
  STATE_FILE,
  WEIGHTS_FILE,
  bytesToFloats,
  layoutFromModelJson,
  layoutSize,
  sha256,
  stateJsonBody,
  type CheckpointData,
  type StateJson,
} from "./format.ts";

/**
 * Reads and verifies the checkpoint at `path`: a step-* directory, a `latest` link, or a
 * checkpoints directory (then its `latest` is read). Throws CheckpointError naming the file at fault.
 */
export async function readCheckpoint(path: string): Promise<CheckpointData> {
  const dir = await resolveCheckpointDir(path);
  const fail = (file: string, reason: string): never => {
    throw new CheckpointError(dir, file, reason);
  };

  const state = parseState(dir, await readPart(dir, STATE_FILE));

  const modelBytes = await readPart(dir, MODEL_FILE);
  verifyHash(dir, MODEL_FILE, modelBytes, state.files[MODEL_FILE]!);
  let modelJson: unknown;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(modelBytes));
  } catch (e) {
    fail(MODEL_FILE, `not valid JSON (${(e as Error).message})`);
  }
  const layout = layoutFromModelJson(modelJson);
  if (typeof layout === "string") return fail(MODEL_FILE, layout);
  const n = layoutSize(layout);

  // Sizes before checksums: a truncated file then says how much is missing.
  const weights = await readPart(dir, WEIGHTS_FILE);
  if (weights.length !== 4 * n) fail(WEIGHTS_FILE, `${weights.length} bytes, layout needs ${4 * n} bytes`);
  verifyHash(dir, WEIGHTS_FILE, weights, state.files[WEIGHTS_FILE]!);
  const optimizer = await readPart(dir, OPTIMIZER_FILE);
  if (optimizer.length !== 8 * n) fail(OPTIMIZER_FILE, `${optimizer.length} bytes, layout needs ${8 * n} bytes (Adam m and v)`);
  verifyHash(dir, OPTIMIZER_FILE, optimizer, state.files[OPTIMIZER_FILE]!);

  const { name, t, ...scalars } = state.optimizer;
  return {
    params: bytesToFloats(weights, 0, n),
    layout,
    optimizer: { ...scalars, name, t, m: bytesToFloats(optimizer, 0, n), v: bytesToFloats(optimizer, n, n) },
    step: state.step,
    epoch: state.epoch,
    ...(state.stepInEpoch === undefined ? {} : { stepInEpoch: state.stepInEpoch }),
    seed: state.seed,
    config: state.config,
    createdAt: state.createdAt,
  };
}

async function resolveCheckpointDir(path: string): Promise<string> {
  if (await present(join(path, STATE_FILE))) return path;
  if (await present(join(path, LATEST))) return join(path, LATEST);
  return path; // reading state.json will report what is missing
}

async function present(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function readPart(dir: string, file: string): Promise<Uint8Array> {
  try {
    return await readFile(join(dir, file));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") {
      // Say whether the checkpoint directory itself is missing (e.g. a dangling `latest`).
      const dirExists = await stat(dir).then(
        () => true,
        () => false,
      );
      throw new CheckpointError(dir, file, dirExists ? "missing" : "missing (the checkpoint directory does not exist)");
    }
    throw new CheckpointError(dir, file, `cannot read: ${err.message}`);
  }
}

function verifyHash(dir: string, file: string, bytes: Uint8Array, expected: string): void {
  const found = sha256(bytes);
  if (found !== expected) throw new CheckpointError(dir, file, `checksum mismatch (expected ${short(expected)}, found ${short(found)})`);
}

const short = (hex: string): string => `${hex.slice(0, 12)}..`;

function parseState(dir: string, bytes: Uint8Array): StateJson {
  const fail = (reason: string): never => {
    throw new CheckpointError(dir, STATE_FILE, reason);
  };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    fail(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return fail("not a JSON object");
  const s = json as StateJson;
  if (s.formatVersion !== FORMAT_VERSION) fail(`formatVersion ${JSON.stringify(s.formatVersion)} is not supported (expected ${FORMAT_VERSION})`);
  if (typeof s.checksum !== "string") fail("checksum missing");
  const found = `sha256:${sha256(stateJsonBody(s))}`;
  if (found !== s.checksum) fail(`checksum mismatch (expected ${short(s.checksum!)}, found ${short(found)})`);

  // The checksum held, so what follows only catches writers other than ours.
  for (const field of ["step", "epoch", "seed"] as const) {
    if (!Number.isSafeInteger(s[field]) || s[field] < 0) fail(`${field} must be a non-negative integer, got ${JSON.stringify(s[field])}`);
  }
  if (s.stepInEpoch !== undefined && !(Number.isSafeInteger(s.stepInEpoch) && s.stepInEpoch >= 0)) {
    fail(`stepInEpoch must be a non-negative integer, got ${JSON.stringify(s.stepInEpoch)}`);
  }
  const opt = s.optimizer as StateJson["optimizer"] | undefined;
  if (typeof opt !== "object" || opt === null) return fail("optimizer must be an object");
  if (typeof opt.name !== "string") fail(`optimizer.name must be a string, got ${JSON.stringify(opt.name)}`);
  if (!Number.isSafeInteger(opt.t) || opt.t < 0) fail(`optimizer.t must be a non-negative integer, got ${JSON.stringify(opt.t)}`);
  if (typeof s.files !== "object" || s.files === null) return fail("files must be an object");
  for (const file of [MODEL_FILE, WEIGHTS_FILE, OPTIMIZER_FILE]) {
    const h = s.files[file];
    if (typeof h !== "string" || !/^[0-9a-f]{64}$/.test(h)) fail(`files[${JSON.stringify(file)}] must be a sha256 hex digest, got ${JSON.stringify(h)}`);
  }
  return s;
}
