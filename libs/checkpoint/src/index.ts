export { CheckpointError } from "./errors.ts";
export { FORMAT_VERSION, LATEST, MODEL_FORMAT, layoutSize, stepDirName } from "./format.ts";
export type { CheckpointData, ModelJson, StateJson, TensorSpec } from "./format.ts";
export { writeCheckpoint } from "./write.ts";
export { readCheckpoint } from "./read.ts";
export { latestTarget, listStepDirs, pruneCheckpoints } from "./prune.ts";
export type { StepDir } from "./prune.ts";
export { findLatestValid } from "./find-latest.ts";
