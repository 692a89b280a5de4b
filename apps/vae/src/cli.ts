// The `vae` command line: one commander program, one file per command under
// commands/. Exit codes: 0 done, 1 failed (message, no stack trace), 2 bad
// invocation (unknown command or flag, a flag with a wrong value).
import { Command, CommanderError } from "commander";
import { CheckpointError } from "@vae/checkpoint";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliError, UsageError } from "@vae/cli";
import { registerEval } from "./commands/eval.ts";
import { registerExport } from "./commands/export.ts";
import { registerInterpolate } from "./commands/interpolate.ts";
import { registerLatentGrid } from "./commands/latent-grid.ts";
import { registerReconstruct } from "./commands/reconstruct.ts";
import { registerSample } from "./commands/sample.ts";
import { registerTrain } from "./commands/train.ts";
import type { CommandRunner } from "./commands/common.ts";

export interface CliIo {
  /** Where error messages go (stderr by default). */
  error(line: string): void;
}

const defaultIo: CliIo = { error: (line) => process.stderr.write(`${line}\n`) };

/** The program; `run` receives each command's parsed body. Exported for tests. */
export function buildProgram(run: CommandRunner): Command {
  const program = new Command("vae")
    .description("offline VAE work: train in one process, and sample, reconstruct, interpolate, draw the latent grid, evaluate and export checkpoints")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const register of [registerTrain, registerSample, registerReconstruct, registerInterpolate, registerLatentGrid, registerEval, registerExport]) {
    register(program, run);
  }
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError(`(run vae ${cmd.name()} --help for usage)`).allowExcessArguments(false);
  return program;
}

/** Maps anything a command throws to a message and an exit code. */
export function exitCodeFor(e: unknown, io: CliIo, debug = process.env.VAE_DEBUG === "1"): number {
  if (e instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (e instanceof UsageError) {
    io.error(`error: ${e.message}`);
    return EXIT_USAGE;
  }
  if (e instanceof CliError || e instanceof CheckpointError) {
    io.error(`error: ${e.message}`);
    return EXIT_FAILURE;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.error(`error: ${err.message}${debug ? `\n${err.stack}` : " (set VAE_DEBUG=1 for the stack trace)"}`);
  return EXIT_FAILURE;
}

/** Parses argv (node, script, ...args), runs the command, and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let code = EXIT_OK;
  const run: CommandRunner = async (body) => {
    code = await body();
  };
  const program = buildProgram(run);
  if (argv.length <= 2) {
    program.outputHelp();
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    return exitCodeFor(e, io);
  }
}
