// Choosing what to resume from when the newest checkpoint may be damaged.
import { join } from "node:path";
import { CheckpointError } from "./errors.ts";
import { LATEST, type CheckpointData } from "./format.ts";
import { latestTarget, listStepDirs } from "./prune.ts";
import { readCheckpoint } from "./read.ts";

/**
 * The newest checkpoint under the checkpoints directory `dir` that verifies: `latest` first,
 * then the other step-* directories, highest step first. Each one skipped is logged with its
 * reason. Returns the step-* path (not `latest`) and its data, or null when none verifies.
 */
export async function findLatestValid(dir: string, log: (s: string) => void = () => {}): Promise<{ path: string; data: CheckpointData } | null> {
  const target = await latestTarget(dir);
  const candidates: { label: string; read: string; path: string }[] = [];
  if (target !== null) candidates.push({ label: `${join(dir, LATEST)} -> ${target}`, read: join(dir, LATEST), path: join(dir, target) });
  for (const d of await listStepDirs(dir)) {
    if (d.name !== target) candidates.push({ label: d.path, read: d.path, path: d.path });
  }
  for (const c of candidates) {
    try {
      return { path: c.path, data: await readCheckpoint(c.read) };
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      log(`skipping checkpoint ${c.label}: ${e.message}`);
    }
  }
  return null;
}
