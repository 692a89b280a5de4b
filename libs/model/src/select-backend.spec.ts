import { createRequire } from "node:module";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { BackendUnavailableError, selectBackend } from "./select-backend.ts";

const realImport = (s: string): Promise<unknown> => import(/* @vite-ignore */ s);

function notFound(pkg: string): Error {
  return Object.assign(new Error(`Cannot find package '${pkg}' imported from /work/main/libs/model/src/select-backend.ts`), {
    code: "ERR_MODULE_NOT_FOUND",
  });
}

/** An importer where the two native packages are missing or broken, as on a machine without them. */
function fakeImporter(broken: "missing" | "native-addon") {
  return (s: string): Promise<unknown> => {
    if (s === "@tensorflow/tfjs-node-gpu" || s === "@tensorflow/tfjs-node") {
      if (broken === "missing") return Promise.reject(notFound(s));
      const where = `${s}/lib/napi-v8/tfjs_binding.node`;
      return Promise.reject(new Error(`The specified module could not be found.\n\\\\?\\C:\\app\\node_modules\\${where}`));
    }
    return realImport(s);
  };
}

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

describe("selectBackend", () => {
  it("auto falls back to wasm with one line per missing native package", async () => {
    const lines: string[] = [];
    const picked = await selectBackend("auto", (l) => lines.push(l), { importModule: fakeImporter("missing") });
    expect(picked.name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(picked.detail).toMatch(/SIMD (on|off)/);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/skipping tensorflow-gpu: @tensorflow\/tfjs-node-gpu is not installed.*npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
    expect(lines[1]).toMatch(/skipping tensorflow: @tensorflow\/tfjs-node is not installed.*npm install @tensorflow\/tfjs-node@4\.22\.0/);
    expect(lines[2]).toMatch(/using wasm/);
  });

  it("auto explains a native addon that does not load (an install with --ignore-scripts)", async () => {
    const lines: string[] = [];
    const picked = await selectBackend("auto", (l) => lines.push(l), { importModule: fakeImporter("native-addon") });
    expect(picked.name).toBe("wasm");
    expect(lines.filter((l) => l.includes("skipping"))).toHaveLength(2);
    expect(lines[0]).toMatch(/tfjs-node-gpu is installed but its native addon did not load.*without --ignore-scripts/);
  });

  it("auto on this machine picks wasm and says why tensorflow was skipped", async (ctx) => {
    // The real import path: only meaningful where the native packages are absent, as in this repository's CI.
    if (installed("@tensorflow/tfjs-node-gpu") || installed("@tensorflow/tfjs-node")) ctx.skip();
    const lines: string[] = [];
    const picked = await selectBackend("auto", (l) => lines.push(l));
    expect(picked.name).toBe("wasm");
    expect(lines[0]).toMatch(/skipping tensorflow-gpu: .*not installed/);
    expect(lines[1]).toMatch(/skipping tensorflow: .*not installed/);
  });

  it("does not call a package with a missing dependency 'not installed'", async () => {
    const lines: string[] = [];
    const importModule = (s: string): Promise<unknown> =>
      s === "@tensorflow/tfjs-node-gpu"
        ? Promise.reject(
            Object.assign(new Error("Cannot find module '@tensorflow/tfjs'\nRequire stack:\n- /app/node_modules/@tensorflow/tfjs-node-gpu/dist/index.js"), {
              code: "MODULE_NOT_FOUND",
            }),
          )
        : fakeImporter("missing")(s);
    await selectBackend("auto", (l) => lines.push(l), { importModule });
    expect(lines[0]).toBe("backend: skipping tensorflow-gpu: @tensorflow/tfjs-node-gpu failed to load: Cannot find module '@tensorflow/tfjs'");
  });

  it("an explicit tensorflow-gpu that is missing throws how to install it", async () => {
    const attempt = selectBackend("tensorflow-gpu", () => {}, { importModule: fakeImporter("missing") });
    await expect(attempt).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(selectBackend("tensorflow-gpu", () => {}, { importModule: fakeImporter("missing") })).rejects.toThrow(
      /npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/,
    );
    if (!installed("@tensorflow/tfjs-node-gpu")) {
      await expect(selectBackend("tensorflow-gpu")).rejects.toThrow(/tfjs-node-gpu is not installed.*npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
    }
  });

  it("is safe to call repeatedly and to switch between backends", async () => {
    for (const choice of ["wasm", "cpu", "wasm", "wasm", "cpu"] as const) {
      const picked = await selectBackend(choice);
      expect(picked.name).toBe(choice);
      expect(tf.getBackend()).toBe(choice);
      expect(Array.from(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1)).dataSync())).toEqual([2, 3]);
    }
  });

  it("rejects an unknown choice", async () => {
    await expect(selectBackend("webgpu" as never)).rejects.toThrow(/backend must be one of auto, tensorflow-gpu, tensorflow, wasm, cpu; got "webgpu"/);
  });
});
