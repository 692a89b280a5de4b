import { loadDataset, type Dataset } from "@vae/data";
import type { RunConfig } from "./run-config.ts";

/** The dataset a run trains on, with its --train-limit/--test-limit applied; `dataDir` overrides the config's (a worker's own copy). */
export function loadRunDataset(config: RunConfig, dataDir: string | undefined = config.dataDir): Dataset {
  return loadDataset(config.dataset, {
    ...(dataDir ? { dataDir } : {}),
    limit: { ...(config.trainLimit > 0 ? { train: config.trainLimit } : {}), ...(config.testLimit > 0 ? { test: config.testLimit } : {}) },
  });
}
