// Bounding the disk a run uses: old checkpoints and the debris of interrupted writes go.
// Run it from the process that writes checkpoints, after a write, never beside one:
// an in-progress write is a tmp-* directory and would be removed.
import { readdir, readlink, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { fsyncDir } from "./durable-fs.ts";
import { LATEST, parseStepDirName } from "./format.ts";

export interface StepDir {
  name: string;
  step: number;
  path: string;
}

/** The step-* directories of a checkpoints directory, newest (highest step) first; [] if it does not exist. */
export async function listStepDirs(dir: string): Promise<StepDir[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const out: StepDir[] = [];
  for (const entry of entries) {
    const step = entry.isDirectory() ? parseStepDirName(entry.name) : null;
    if (step !== null) out.push({ name: entry.name, step, path: join(dir, entry.name) });
  }
  return out.sort((a, b) => b.step - a.step);
}

/** The directory name `latest` points to, or null when there is no `latest`. */
export async function latestTarget(dir: string): Promise<string | null> {
  try {
    return basename(await readlink(join(dir, LATEST)));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EINVAL") return null; // absent, or not a symlink
    throw e;
  }
}

/** Keeps the newest `keep` step-* directories and whichever one `latest` points to; removes the rest and every tmp-* leftover. */
export async function pruneCheckpoints(dir: string, keep: number): Promise<void> {
  if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`pruneCheckpoints: keep must be an integer >= 1, got ${keep}`);
  const target = await latestTarget(dir);
  const doomed = (await listStepDirs(dir)).slice(keep).filter((d) => d.name !== target).map((d) => d.path);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  // Leftovers of writes that never finished: tmp-*/ directories and latest.tmp-* links.
  for (const name of entries) if (name.startsWith("tmp-") || name.startsWith(`${LATEST}.tmp-`)) doomed.push(join(dir, name));
  for (const path of doomed) await rm(path, { recursive: true, force: true });
  if (doomed.length > 0) await fsyncDir(dir);
}
