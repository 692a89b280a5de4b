// The few filesystem operations the atomicity protocol needs, each made durable.
// See Note [Checkpoint atomicity] in write.ts.
import { open, rename, rm, symlink } from "node:fs/promises";

/** Creates `path` (which must not exist), writes `bytes`, and fsyncs it before closing. */
export async function writeFileDurable(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, "wx");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs a directory, so that the names created, renamed or removed in it survive a crash. */
export async function fsyncDir(path: string): Promise<void> {
  // Windows cannot open a directory for syncing; it also has no such need for rename durability.
  if (process.platform === "win32") return;
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Points the symlink `linkPath` at `target` (relative) by renaming a fresh symlink over it: readers see the old or the new link, never none. */
export async function replaceSymlink(target: string, linkPath: string, tempPath: string): Promise<void> {
  await rm(tempPath, { force: true });
  await symlink(target, tempPath);
  await rename(tempPath, linkPath);
}
