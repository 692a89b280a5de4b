// vae eval: the test-set negative ELBO (one reparameterized sample per image,
// as in training) and, with --iw-samples K, the importance-weighted estimate
// of log p(x) of Burda et al. (2016): log of the mean of K importance weights.
import type { Command } from "commander";
import { gatherImages } from "@vae/data";
import type { BackendChoice } from "@vae/model";
import { evaluateElbo } from "@vae/training";
import { initBackend } from "../backend.ts";
import { EVAL_DEFAULTS } from "../defaults.ts";
import { backendFlag, intFlag, requiredString, switchFlag, type RawFlags } from "@vae/cli";
import { formatDuration } from "@vae/cli";
import { loadTestSet, loadTrainedModel } from "../trained-model.ts";
import { addBackendOption, addCheckpointOptions, type CommandRunner } from "./common.ts";

export interface EvalFlags {
  backend: BackendChoice;
  checkpoint: string;
  iwSamples: number;
  limit: number;
  json: boolean;
}

export interface EvalResult {
  checkpoint: string;
  dataset: string;
  step: number;
  count: number;
  /** Mean over the test images, nats per example: reconstruction + KL (the beta of training does not enter). */
  negativeElbo: number;
  reconstruction: number;
  kl: number;
  iwSamples: number;
  /** Mean importance-weighted estimate of -log p(x), nats per example; null when iwSamples is 0. */
  iwNegativeLogLikelihood: number | null;
}

/** Images per logLikelihoodIW call: bounds memory and paces the progress lines; does not change the result. */
const IW_BATCH = 100;

export function parseEvalFlags(raw: RawFlags): EvalFlags {
  return Object.freeze({
    backend: backendFlag(raw),
    checkpoint: requiredString("checkpoint", raw.checkpoint),
    iwSamples: intFlag("iw-samples", raw.iwSamples, EVAL_DEFAULTS.iwSamples, 0),
    limit: intFlag("limit", raw.limit, EVAL_DEFAULTS.limit, 0),
    json: switchFlag(raw.json, false),
  });
}

export async function runEval(f: EvalFlags): Promise<number> {
  await initBackend(f.backend);
  const { model, config, data } = await loadTrainedModel(f.checkpoint);
  const set = loadTestSet(config, f.limit);
  const elbo = await evaluateElbo(model, set, config.seed, config.model.latentSize);
  let iw: number | null = null;
  if (f.iwSamples > 0) {
    let sum = 0;
    const started = performance.now();
    let lastLine = started;
    for (let start = 0; start < set.count; start += IW_BATCH) {
      const indices = Uint32Array.from({ length: Math.min(IW_BATCH, set.count - start) }, (_, i) => start + i);
      const logPx = await model.logLikelihoodIW(gatherImages(set, indices), f.iwSamples, config.seed, indices);
      for (const v of logPx) sum += v;
      const now = performance.now();
      const done = start + indices.length;
      if (now - lastLine > 10_000 && done < set.count) {
        lastLine = now;
        const eta = ((now - started) / done) * (set.count - done) / 1000;
        process.stderr.write(`importance sampling: ${done}/${set.count} images, -log p(x) so far ${(-sum / done).toFixed(2)} nats, ETA ${formatDuration(eta)}\n`);
      }
    }
    iw = -sum / set.count;
  }
  model.dispose();

  const result: EvalResult = {
    checkpoint: f.checkpoint,
    dataset: config.dataset,
    step: data.step,
    count: set.count,
    negativeElbo: elbo.reconstruction + elbo.kl,
    reconstruction: elbo.reconstruction,
    kl: elbo.kl,
    iwSamples: f.iwSamples,
    iwNegativeLogLikelihood: iw,
  };
  if (f.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`test set: ${config.dataset}, ${set.count} images; checkpoint at step ${data.step}`);
    console.log(`negative ELBO: ${result.negativeElbo.toFixed(2)} nats per example (reconstruction ${elbo.reconstruction.toFixed(2)}, KL ${elbo.kl.toFixed(2)})`);
    if (iw !== null) console.log(`importance-weighted -log p(x): ${iw.toFixed(2)} nats per example (K = ${f.iwSamples} samples)`);
  }
  return 0;
}

export function registerEval(program: Command, run: CommandRunner): void {
  const cmd = program.command("eval").description("test-set negative ELBO and, with --iw-samples, the importance-weighted log-likelihood, in nats");
  addCheckpointOptions(cmd, "none");
  cmd
    .option("--iw-samples <k>", `importance samples per image for the log-likelihood estimate; 0 skips it (default: ${EVAL_DEFAULTS.iwSamples})`)
    .option("--limit <n>", `evaluate only the first N test images; 0 = all (default: ${EVAL_DEFAULTS.limit})`)
    .option("--json", "print one machine-readable JSON line instead of text");
  addBackendOption(cmd);
  cmd.action((raw: RawFlags) => run(() => runEval(parseEvalFlags(raw))));
}
