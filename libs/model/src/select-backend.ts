// Picks the tfjs compute backend for this process. `auto` tries the fastest
// first: tensorflow-gpu (libtensorflow with CUDA), tensorflow (libtensorflow on
// the CPU), wasm (XNNPACK, SIMD when the runtime has it), cpu (plain JS).
// The two native packages are optional and never installed by `npm ci`: they
// are loaded by dynamic import, and a missing or broken one costs one log line.

import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";

export type BackendChoice = "auto" | "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"];

export interface SelectedBackend {
  /** The tfjs backend now active: "tensorflow", "wasm" or "cpu". */
  name: string;
  /** What was loaded and how it runs, for logs and the worker table. */
  detail: string;
}

export interface SelectBackendOptions {
  /** Replaces `import()` (tests use it to simulate broken native packages). */
  importModule?: (specifier: string) => Promise<unknown>;
}

type Concrete = Exclude<BackendChoice, "auto">;
const AUTO_ORDER: readonly Concrete[] = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"];
const NATIVE_PACKAGES = { "tensorflow-gpu": "@tensorflow/tfjs-node-gpu", tensorflow: "@tensorflow/tfjs-node" } as const;

/** The exact install command for a native package, pinned to the tfjs-core in use. */
export function installCommand(choice: "tensorflow-gpu" | "tensorflow"): string {
  return `npm install ${NATIVE_PACKAGES[choice]}@${tf.version_core}`;
}

/** Thrown when one backend cannot be used; `auto` turns it into a log line and moves on. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly choice: Concrete,
    readonly reason: string,
  ) {
    super(`backend ${choice} is unavailable: ${reason}`);
    this.name = "BackendUnavailableError";
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0]!.slice(0, 300);
}

/** Turns an import failure of a native package into a sentence that says what to do. */
function explainNativeFailure(choice: "tensorflow-gpu" | "tensorflow", e: unknown): string {
  const pkg = NATIVE_PACKAGES[choice];
  const code = (e as { code?: unknown })?.code;
  const msg = e instanceof Error ? e.message : String(e);
  const host = choice === "tensorflow-gpu" ? "on a host with an NVIDIA GPU, CUDA and cuDNN" : "on this host";
  // The package itself is missing (not one of its dependencies): its quoted name is what could not be found.
  if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && firstLine(e).includes(`'${pkg}'`)) {
    return `${pkg} is not installed (to use it, ${host} run: ${installCommand(choice)})`;
  }
  if (/tfjs_binding\.node|native addon|specified module could not be found|libtensorflow|cannot open shared object/i.test(msg)) {
    return (
      `${pkg} is installed but its native addon did not load (${firstLine(e)}); ` +
      `reinstall it without --ignore-scripts ${host}: ${installCommand(choice)}`
    );
  }
  return `${pkg} failed to load: ${firstLine(e)}`;
}

async function useTensorflow(choice: "tensorflow-gpu" | "tensorflow", importModule: (s: string) => Promise<unknown>): Promise<SelectedBackend> {
  try {
    await importModule(NATIVE_PACKAGES[choice]);
  } catch (e) {
    throw new BackendUnavailableError(choice, explainNativeFailure(choice, e));
  }
  // Both packages register a backend named "tensorflow" with the @tensorflow/tfjs-core they resolve.
  if (tf.findBackendFactory("tensorflow") === null) {
    throw new BackendUnavailableError(
      choice,
      `${NATIVE_PACKAGES[choice]} loaded but registered no "tensorflow" backend with this @tensorflow/tfjs-core ${tf.version_core} ` +
        `(a version mismatch?); install: ${installCommand(choice)}`,
    );
  }
  if (!(await tf.setBackend("tensorflow"))) {
    throw new BackendUnavailableError(choice, `${NATIVE_PACKAGES[choice]} loaded but the "tensorflow" backend failed to initialise`);
  }
  const gpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  if (choice === "tensorflow-gpu" && !gpu) {
    throw new BackendUnavailableError(choice, `${NATIVE_PACKAGES[choice]} loaded but TensorFlow found no usable GPU (check CUDA/cuDNN and nvidia-smi)`);
  }
  return { name: "tensorflow", detail: `${NATIVE_PACKAGES[choice]} (libtensorflow, ${gpu ? "GPU" : "CPU"})` };
}

let wasmPathsSet = false;

async function useWasm(importModule: (s: string) => Promise<unknown>): Promise<SelectedBackend> {
  let wasm: typeof import("@tensorflow/tfjs-backend-wasm");
  try {
    wasm = (await importModule("@tensorflow/tfjs-backend-wasm")) as typeof wasm;
  } catch (e) {
    throw new BackendUnavailableError("wasm", `@tensorflow/tfjs-backend-wasm failed to load: ${firstLine(e)}`);
  }
  // Point the loader at the .wasm binaries beside the package's entry in node_modules,
  // rather than relying on where a bundle or test runner says the script lives.
  const dir = path.dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm")) + path.sep;
  if (!wasmPathsSet) {
    wasm.setWasmPaths(dir);
    wasmPathsSet = true;
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend("wasm");
  } catch (e) {
    throw new BackendUnavailableError("wasm", `initialisation failed: ${firstLine(e)}`);
  }
  if (!ok) throw new BackendUnavailableError("wasm", `initialisation failed (are the .wasm files in ${dir}?)`);
  const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true;
  // tfjs disables wasm threads under Node (tfjs issue #3830), so XNNPACK runs on one thread.
  const threads = wasm.getThreadsCount();
  const binary = simd ? "tfjs-backend-wasm-simd.wasm" : "tfjs-backend-wasm.wasm";
  return { name: "wasm", detail: `XNNPACK, SIMD ${simd ? "on" : "off"}, ${threads} thread${threads === 1 ? "" : "s"} (${binary})` };
}

async function useCpu(importModule: (s: string) => Promise<unknown>): Promise<SelectedBackend> {
  try {
    await importModule("@tensorflow/tfjs-backend-cpu");
  } catch (e) {
    throw new BackendUnavailableError("cpu", `@tensorflow/tfjs-backend-cpu failed to load: ${firstLine(e)}`);
  }
  if (!(await tf.setBackend("cpu"))) throw new BackendUnavailableError("cpu", "initialisation failed");
  return { name: "cpu", detail: "plain JavaScript kernels (slowest; for tests and as the last resort)" };
}

function load(choice: Concrete, importModule: (s: string) => Promise<unknown>): Promise<SelectedBackend> {
  switch (choice) {
    case "tensorflow-gpu":
    case "tensorflow":
      return useTensorflow(choice, importModule);
    case "wasm":
      return useWasm(importModule);
    case "cpu":
      return useCpu(importModule);
  }
}

/**
 * Makes `choice` the active tfjs backend (or, for "auto", the first of
 * tensorflow-gpu, tensorflow, wasm, cpu that loads, logging one line per
 * backend skipped and why). An explicit choice that cannot load throws a
 * BackendUnavailableError saying how to fix it. Safe to call repeatedly.
 */
export async function selectBackend(choice: BackendChoice, log: (line: string) => void = () => {}, opts: SelectBackendOptions = {}): Promise<SelectedBackend> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new TypeError(`backend must be one of ${BACKEND_CHOICES.join(", ")}; got ${JSON.stringify(choice)}`);
  }
  tf.enableProdMode(); // no debug-mode checks on every kernel
  const importModule = opts.importModule ?? ((s: string) => import(/* @vite-ignore */ s));
  const candidates = choice === "auto" ? AUTO_ORDER : [choice];
  for (const candidate of candidates) {
    try {
      const selected = await load(candidate, importModule);
      log(`backend: using ${candidate} (${selected.detail})`);
      return selected;
    } catch (e) {
      if (choice !== "auto" || !(e instanceof BackendUnavailableError)) throw e;
      log(`backend: skipping ${candidate}: ${e.reason}`);
    }
  }
  throw new Error("backend auto: no backend could be loaded, not even cpu"); // unreachable while cpu is a dependency
}
