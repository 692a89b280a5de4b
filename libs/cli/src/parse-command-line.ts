import { CommanderError, type Command } from "commander";
import { EXIT_USAGE, UsageError } from "./errors.ts";

/**
 * Parses argv with a commander program (which must use exitOverride) and turns
 * its options into checked flags. Returns the flags, or the exit code when the
 * process should end now: 0 after --help, 2 after a bad flag (already printed,
 * naming the flag and value).
 */
export function parseCommandLine<T>(program: Command, argv: readonly string[], check: (opts: Record<string, unknown>) => T): T | { exitCode: number } {
  try {
    program.parse([...argv]);
    return check(program.opts());
  } catch (e) {
    if (e instanceof CommanderError) return { exitCode: e.exitCode === 0 ? 0 : EXIT_USAGE };
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return { exitCode: EXIT_USAGE };
    }
    throw e;
  }
}
