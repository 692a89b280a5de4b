export { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from "./errors.ts";
export {
  backendFlag,
  choiceFlag,
  intFlag,
  intListFlag,
  numberFlag,
  requireTogether,
  requiredString,
  stringFlag,
  switchFlag,
  type RawFlags,
} from "./flags.ts";
export { RUN_DEFINING_FLAGS, addRunConfigOptions, parseRunConfigFlags, withImageSize } from "./run-config-flags.ts";
export { PROGRESS_DEFAULTS, RateMeter, createLogProgress, createProgress, formatDuration, formatProgressLine, progressFields, type Progress, type ProgressState } from "./progress.ts";
export { isLoopbackUrl, localTokenPath, readLocalToken, writeLocalToken } from "./local-token.ts";
export { parseCommandLine } from "./parse-command-line.ts";
