// vae export: the trained weights alone, for use outside this project: a tfjs
// weights manifest (tf.io.decodeWeights reads it) plus the model config, and
// the float32 weights. Optimizer state and training position stay behind.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { paramLayout, type BackendChoice } from "@vae/model";
import { initBackend } from "../backend.ts";
import { backendFlag, requiredString, type RawFlags } from "@vae/cli";
import { loadTrainedModel } from "../trained-model.ts";
import { addBackendOption, addCheckpointOptions, type CommandRunner } from "./common.ts";

export interface ExportFlags {
  backend: BackendChoice;
  checkpoint: string;
  out: string;
}

export const EXPORT_FORMAT = "vae-cluster-export";

export function parseExportFlags(raw: RawFlags): ExportFlags {
  return Object.freeze({ backend: backendFlag(raw), checkpoint: requiredString("checkpoint", raw.checkpoint), out: requiredString("out", raw.out) });
}

export async function runExport(f: ExportFlags): Promise<number> {
  await initBackend(f.backend);
  const { model, config, data } = await loadTrainedModel(f.checkpoint);
  model.dispose();
  const layout = paramLayout(config.model);
  const manifest = {
    format: EXPORT_FORMAT,
    model: config.model,
    dataset: config.dataset,
    step: data.step,
    // Kernels are [fanIn, fanOut]: a layer computes x @ kernel + bias; the encoder head's first half of columns is mu, the second log sigma^2.
    weightsManifest: [{ paths: ["weights.bin"], weights: layout.map((s) => ({ name: s.name, shape: s.shape, dtype: "float32" })) }],
  };
  mkdirSync(f.out, { recursive: true });
  const p = data.params;
  // Float32Array bytes are little-endian on every platform Node supports.
  writeFileSync(join(f.out, "weights.bin"), new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  writeFileSync(join(f.out, "model.json"), JSON.stringify(manifest, null, 2) + "\n");
  console.log(`wrote ${join(f.out, "model.json")} and ${join(f.out, "weights.bin")} (${p.length} parameters, step ${data.step})`);
  return 0;
}

export function registerExport(program: Command, run: CommandRunner): void {
  const cmd = program.command("export").description("write the weights as a tfjs weights manifest (model.json + weights.bin)");
  addCheckpointOptions(cmd, "dir");
  addBackendOption(cmd);
  cmd.action((raw: RawFlags) => run(() => runExport(parseExportFlags(raw))));
}
