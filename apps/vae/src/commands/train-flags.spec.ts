import { describe, expect, it } from "vitest";
import { DEFAULT_VAE_CONFIG } from "@vae/model";
import { DEFAULT_RUN_CONFIG } from "@vae/training";
import { TRAIN_DEFAULTS } from "../defaults.ts";
import { UsageError } from "@vae/cli";
import { parseTrainFlags, withImageSize } from "./train-flags.ts";

describe("vae train flags", () => {
  it("with no flags, describe the default run of defaults.ts (which follows @vae/training and @vae/model)", () => {
    const f = parseTrainFlags({});
    expect(f.backend).toBe("auto");
    expect(f.config.epochs).toBe(TRAIN_DEFAULTS.epochs);
    expect(f.config.batchSize).toBe(DEFAULT_RUN_CONFIG.batchSize);
    expect(f.config.learningRate).toBe(DEFAULT_RUN_CONFIG.learningRate);
    expect(f.config.seed).toBe(DEFAULT_RUN_CONFIG.seed);
    expect(f.config.dataset).toBe(DEFAULT_RUN_CONFIG.dataset);
    expect(f.config.binarize).toBe(DEFAULT_RUN_CONFIG.binarize);
    expect(f.config.model.hiddenSizes).toEqual(DEFAULT_VAE_CONFIG.hiddenSizes);
    expect(f.config.model.latentSize).toBe(DEFAULT_VAE_CONFIG.latentSize);
    expect(f.config.model.decoder).toBe(DEFAULT_VAE_CONFIG.decoder);
    expect(f.runDir).toBe(TRAIN_DEFAULTS.runDir);
    expect(f.checkpointEvery).toBe(TRAIN_DEFAULTS.checkpointEvery);
    expect(f.keepCheckpoints).toBe(TRAIN_DEFAULTS.keepCheckpoints);
    expect(f.maxSteps).toBe(0);
    expect(f.resume).toBeUndefined();
    expect(Object.isFrozen(f)).toBe(true);
  });

  it("carry every given flag into the run config", () => {
    const f = parseTrainFlags({
      dataset: "fashion-mnist",
      dataDir: "/data/f",
      epochs: "3",
      batchSize: "64",
      lr: "2e-4",
      seed: "9",
      hidden: "512,256",
      latent: "2",
      decoder: "gaussian",
      beta: "4",
      binarize: true,
      trainLimit: "2048",
      testLimit: "500",
      maxSteps: "7",
      runDir: "/tmp/r",
      checkpointEvery: "100",
      keepCheckpoints: "5",
      backend: "cpu",
    });
    expect(f.config).toMatchObject({ dataset: "fashion-mnist", dataDir: "/data/f", epochs: 3, batchSize: 64, learningRate: 2e-4, seed: 9, binarize: true, trainLimit: 2048, testLimit: 500 });
    expect(f.config.model).toMatchObject({ hiddenSizes: [512, 256], latentSize: 2, decoder: "gaussian", beta: 4 });
    expect(f).toMatchObject({ maxSteps: 7, runDir: "/tmp/r", checkpointEvery: 100, keepCheckpoints: 5, backend: "cpu" });
  });

  it("reject --resume together with flags the checkpoint decides, but allow --epochs and --max-steps", () => {
    expect(() => parseTrainFlags({ resume: "runs/x", lr: "0.1", seed: "3" })).toThrow(UsageError);
    expect(() => parseTrainFlags({ resume: "runs/x", lr: "0.1", seed: "3" })).toThrow(/drop --lr, --seed/);
    const f = parseTrainFlags({ resume: "runs/x", epochs: "20", maxSteps: "5" });
    expect(f.resume).toBe("runs/x");
    expect(f.epochsGiven).toBe(true);
    expect(f.config.epochs).toBe(20);
  });

  it("turn model validation failures into usage errors", () => {
    expect(() => parseTrainFlags({ hidden: Array(17).fill("8").join(",") })).toThrow(UsageError);
    expect(() => parseTrainFlags({ keepCheckpoints: "0" })).toThrow(/--keep-checkpoints: expected a positive integer, got "0"/);
  });

  it("take the model's input size from the images", () => {
    const c = withImageSize(parseTrainFlags({}).config, 32, 30);
    expect(c.model.inputSize).toBe(960);
  });
});
