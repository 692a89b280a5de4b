// Options several commands share, declared once so their help reads the same.
import type { Command } from "commander";
import { BACKEND_CHOICES } from "@vae/model";
import { COMMON_DEFAULTS } from "../defaults.ts";

/** Runs a parsed command and records its exit code; errors are turned into exit codes by cli.ts. */
export type CommandRunner = (body: () => Promise<number>) => Promise<void>;

export function addBackendOption(cmd: Command): Command {
  return cmd.option("--backend <name>", `compute backend: ${BACKEND_CHOICES.join("|")} (default: ${COMMON_DEFAULTS.backend})`);
}

/** --checkpoint, and --out unless the command writes no file. */
export function addCheckpointOptions(cmd: Command, out: "file" | "dir" | "none" = "file"): Command {
  cmd.option("--checkpoint <dir>", "checkpoint directory: runs/<run>/checkpoints/latest, a step-* directory, or a run directory (required)");
  if (out === "file") cmd.option("--out <file.png>", "PNG file to write (required)");
  if (out === "dir") cmd.option("--out <dir>", "directory to write (required)");
  return cmd;
}
