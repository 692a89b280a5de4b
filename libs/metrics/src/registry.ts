// What the coordinator and worker factories share: a fresh registry with the
// default process metrics, the step-time buckets, and handle types that pin
// label values to their fixed sets at compile time.
import { Registry, collectDefaultMetrics } from "prom-client";

/**
 * Seconds, for every step-phase histogram: 1 ms to 10 s in a 1-2-5 ladder.
 * A small MLP step on a GPU lands in the low milliseconds, a conv step on the
 * wasm/cpu backend or an all-reduce over a slow link in whole seconds; 13
 * buckets keep `histogram_quantile` within a factor of ~2 anywhere in between.
 */
export const STEP_SECONDS_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10,
]);

/**
 * A registry of its own, never prom-client's global one, so that a coordinator
 * and several workers can live in one test process without name collisions.
 * Default metrics (`process_*`, `nodejs_*`) are collected into it.
 */
export function createRegistry(existing?: Registry): Registry {
  const registry = existing ?? new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** A counter whose label values are checked by the compiler, e.g. `{ reason: "join" }`. */
export interface LabelledCounter<L extends Record<string, string>> {
  inc(labels: L, value?: number): void;
}

export interface LabelledGauge<L extends Record<string, string>> {
  set(labels: L, value: number): void;
}

export interface LabelledHistogram<L extends Record<string, string>> {
  observe(labels: L, seconds: number): void;
  /** Starts a timer; calling the result observes the elapsed seconds and returns them. */
  startTimer(labels: L): () => number;
}

/** A histogram without labels: `observe(seconds)` or `startTimer()`. */
export interface SecondsHistogram {
  observe(seconds: number): void;
  startTimer(): () => number;
}

/** A counter without labels. */
export interface PlainCounter {
  inc(value?: number): void;
}

/** A gauge without labels. */
export interface PlainGauge {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
}
