// Exit codes are public API of the tool: scripts tell a bad invocation (2)
// from a run that failed (1).

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A flag with a wrong value, a missing required flag, or flags that contradict each other: exit 2. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure the user can act on (missing file, incompatible checkpoint); printed without a stack trace: exit 1. */
export class CliError extends Error {
  readonly exitCode = EXIT_FAILURE;
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}
