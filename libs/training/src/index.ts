export { DEFAULT_RUN_CONFIG, validateRunConfig, type RunConfig } from "./run-config.ts";
export { Replica, parameterDigest, toCheckpoint, fromCheckpoint, type ReplicaState } from "./replica.ts";
export { Schedule, type StepLocation } from "./schedule.ts";
export { STATS_LENGTH, applyReduced, computeShare, fusedLength, type StepLosses } from "./share.ts";
export { evaluateElbo, evaluateRange, type LossTotals } from "./evaluate.ts";
export { trainSingleProcess, type TrainEvents, type TrainOptions, type TrainResult } from "./trainer.ts";
export { createRunDir, openRunDir, type RunDir } from "./run-dir.ts";
export { priorDraws, reconstructionFigure, renderReconstructionsPng, renderSamplesPng } from "./figures.ts";
export { loadRunDataset } from "./run-dataset.ts";
