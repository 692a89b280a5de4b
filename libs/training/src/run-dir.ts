import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RunConfig } from "./run-config.ts";

/** The files of one run: `runs/<run>/{config.json, checkpoints/, samples/}`. */
export interface RunDir {
  root: string;
  checkpoints: string;
  samples: string;
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A fresh run directory under `parent`, named by time and dataset; config.json is written at once. */
export function createRunDir(parent: string, config: RunConfig, name?: string): RunDir {
  const dataset = config.dataset.replace(/^idx:.*$/, "idx").replace(/[^a-z0-9-]/gi, "_");
  return openRunDir(join(parent, name ?? `${timestamp(new Date())}-${dataset}`), config);
}

/** Opens (creating if needed) a run directory at `root` and records the config. */
export function openRunDir(root: string, config: RunConfig): RunDir {
  const dir: RunDir = { root: resolve(root), checkpoints: resolve(root, "checkpoints"), samples: resolve(root, "samples") };
  mkdirSync(dir.checkpoints, { recursive: true });
  mkdirSync(dir.samples, { recursive: true });
  writeFileSync(join(dir.root, "config.json"), JSON.stringify(config, null, 2) + "\n");
  return dir;
}
