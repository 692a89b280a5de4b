export { IdxError, encodeIdx, parseIdx, readIdx } from "./idx.ts";
export type { IdxArray } from "./idx.ts";
export { FASHION_MNIST_DEBIAN_DIR, loadDataset } from "./datasets.ts";
export type { Dataset, ImageSet, LoadOptions } from "./datasets.ts";
export { batchPositions, epochPermutation, shardRange, stepSampleIndices, stepsPerEpoch } from "./sampling.ts";
export { gatherImages } from "./gather.ts";
export type { BinarizeKey } from "./gather.ts";
