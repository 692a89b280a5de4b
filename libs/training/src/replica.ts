import { createHash } from "node:crypto";
import { Adam, VaeModel, initParams, paramCount, paramLayout } from "@vae/model";
import type { CheckpointData } from "@vae/checkpoint";
import type { RunConfig } from "./run-config.ts";

/** Parameters + optimizer state + position: everything a rank must agree on with every other rank. */
export interface ReplicaState {
  /** Global steps applied so far (= index of the next step to run). */
  step: number;
  params: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  adamT: number;
}

/**
 * One model replica: flat parameters, flat Adam state, and the tfjs model that
 * computes gradients at those parameters. Parameters live in plain JS memory and
 * the update is plain JS arithmetic, so every rank — whatever its backend —
 * holds bitwise-identical parameters after every step (DESIGN §3).
 */
export class Replica {
  readonly model: VaeModel;
  readonly params: Float32Array;
  readonly adam: Adam;
  /** Global steps applied so far. */
  step = 0;

  constructor(readonly config: RunConfig) {
    this.model = new VaeModel(config.model);
    this.params = initParams(config.model, config.seed);
    this.adam = new Adam(this.params.length, { learningRate: config.learningRate });
    this.model.setParams(this.params);
  }

  get size(): number {
    return this.params.length;
  }

  exportState(): ReplicaState {
    return {
      step: this.step,
      params: this.params.slice(),
      adamM: this.adam.m.slice(),
      adamV: this.adam.v.slice(),
      adamT: this.adam.t,
    };
  }

  loadState(s: ReplicaState): void {
    for (const [field, arr] of [["params", s.params], ["adamM", s.adamM], ["adamV", s.adamV]] as const) {
      if (arr.length !== this.size) {
        throw new Error(`replica state: ${field} has ${arr.length} values, the model has ${this.size} parameters`);
      }
    }
    this.params.set(s.params);
    this.adam.loadState({ m: s.adamM, v: s.adamV, t: s.adamT });
    this.step = s.step;
    this.model.setParams(this.params);
  }

  /** Applies the mean gradient (already divided by the batch size) and uploads the new parameters. */
  apply(meanGradient: Float32Array): void {
    this.adam.step(this.params, meanGradient);
    this.model.setParams(this.params);
    this.step += 1;
  }

  /** A short fingerprint of the parameters; equal on every rank when replicas have not drifted. */
  digest(): string {
    return parameterDigest(this.params);
  }

  dispose(): void {
    this.model.dispose();
  }
}

export function parameterDigest(params: Float32Array): string {
  return createHash("sha256").update(new Uint8Array(params.buffer, params.byteOffset, params.byteLength)).digest("hex").slice(0, 16);
}

/** The checkpoint view of a replica state (the checkpoint lib knows nothing of models). */
export function toCheckpoint(config: RunConfig, s: ReplicaState, epoch: number): CheckpointData {
  return {
    params: s.params,
    layout: paramLayout(config.model).map(({ name, shape }) => ({ name, shape })),
    optimizer: { m: s.adamM, v: s.adamV, t: s.adamT, name: "adam", learningRate: config.learningRate },
    step: s.step,
    epoch,
    seed: config.seed,
    config,
  };
}

export function fromCheckpoint(data: CheckpointData): ReplicaState {
  return { step: data.step, params: data.params, adamM: data.optimizer.m, adamV: data.optimizer.v, adamT: data.optimizer.t };
}

export { paramCount };
