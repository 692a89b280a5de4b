// Training-step throughput of one replica at the default global batch (128):
// compute the summed gradients, Adam step, upload the new parameters — what a
// worker does per step, minus the all-reduce. For every backend that loads
// here, the fast dense gradient (Note [Fast dense gradient]) is timed against
// tfjs autodiff in the same run. Inputs are synthetic: speed does not depend
// on pixel values. Run: npm run bench:step   (add --quick for a smoke run)

import {
  Adam,
  BackendUnavailableError,
  DEFAULT_VAE_CONFIG,
  type DenseGradient,
  VaeModel,
  initParams,
  noiseFor,
  selectBackend,
} from "@vae/model";
import { Rng } from "@vae/random";
import { median } from "./stats.ts";

const BATCH = 128;
const quick = process.argv.includes("--quick");
/** Steps per timed window and windows per figure; cpu is ~10x slower, so it gets fewer. */
const PLAN: Record<string, { warmup: number; steps: number; windows: number }> = {
  wasm: { warmup: 3, steps: 10, windows: 7 },
  cpu: { warmup: 1, steps: 3, windows: 3 },
  tensorflow: { warmup: 5, steps: 20, windows: 5 },
};

interface Figure {
  backend: string;
  variant: DenseGradient;
  samplesPerSecond: number;
  msPerStep: number;
}


interface Runner {
  variant: DenseGradient;
  step: () => void;
  dispose: () => void;
}

function runner(variant: DenseGradient): Runner {
  const cfg = DEFAULT_VAE_CONFIG;
  const model = new VaeModel(cfg, { denseGradient: variant });
  const params = initParams(cfg, 1);
  const adam = new Adam(params.length);
  const grad = new Float32Array(params.length);
  const rng = new Rng(1);
  const x = new Float32Array(BATCH * cfg.inputSize).map(() => (rng.nextFloat() < 0.15 ? 1 : 0));
  const eps = noiseFor(1, 0, Array.from({ length: BATCH }, (_, i) => i), cfg.latentSize);
  model.setParams(params);
  const step = (): void => {
    model.computeGradients(x, eps, grad);
    for (let i = 0; i < grad.length; i++) grad[i]! /= BATCH;
    adam.step(params, grad);
    model.setParams(params);
  };
  return { variant, step, dispose: () => model.dispose() };
}

/**
 * Times both variants in alternating windows, so that load from other
 * processes on a shared machine hits both alike; the figure is the median window.
 */
function measure(backend: string, planKey: string): Figure[] {
  const plan = quick ? { warmup: 1, steps: 2, windows: 1 } : PLAN[planKey]!;
  const runners = [runner("autodiff"), runner("fast")];
  const rates = new Map<DenseGradient, number[]>(runners.map((r) => [r.variant, []]));
  for (const r of runners) for (let i = 0; i < plan.warmup; i++) r.step();
  for (let w = 0; w < plan.windows; w++) {
    for (const r of runners) {
      const t0 = performance.now();
      for (let i = 0; i < plan.steps; i++) r.step();
      rates.get(r.variant)!.push((plan.steps * BATCH) / ((performance.now() - t0) / 1000));
    }
  }
  for (const r of runners) r.dispose();
  return runners.map((r) => {
    const samplesPerSecond = median(rates.get(r.variant)!);
    return { backend, variant: r.variant, samplesPerSecond, msPerStep: (1000 * BATCH) / samplesPerSecond };
  });
}

const figures: Figure[] = [];
const skipped: string[] = [];
for (const choice of ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const) {
  let name: string;
  let detail: string;
  try {
    ({ name, detail } = await selectBackend(choice));
  } catch (e) {
    if (!(e instanceof BackendUnavailableError)) throw e;
    skipped.push(`${choice}: ${e.reason}`);
    continue;
  }
  console.error(`timing ${choice} (${detail}) ...`);
  figures.push(...measure(choice, name));
}

const rows = figures.map((f) => {
  const base = figures.find((g) => g.backend === f.backend && g.variant === "autodiff")!;
  return { ...f, ratioVsAutodiff: f.samplesPerSecond / base.samplesPerSecond };
});
console.log(`\nVAE 784-400-20 training step, batch ${BATCH} (compute gradients + Adam + upload), median of timed windows${quick ? " [--quick]" : ""}`);
console.log(`${"backend".padEnd(16)}${"variant".padEnd(10)}${"samples/s".padStart(11)}${"ms/step".padStart(10)}${"vs autodiff".padStart(13)}`);
for (const r of rows) {
  console.log(
    `${r.backend.padEnd(16)}${r.variant.padEnd(10)}${r.samplesPerSecond.toFixed(0).padStart(11)}${r.msPerStep.toFixed(1).padStart(10)}${(r.ratioVsAutodiff.toFixed(2) + "x").padStart(13)}`,
  );
}
for (const s of skipped) console.log(`skipped ${s}`);
for (const r of rows) {
  console.log(
    JSON.stringify({
      bench: "step",
      backend: r.backend,
      variant: r.variant,
      samplesPerSecond: Math.round(r.samplesPerSecond),
      ratioVsAutodiff: Number(r.ratioVsAutodiff.toFixed(3)),
    }),
  );
}
