// The real `vae` bin, end to end: a short MNIST run, then every offline
// command on its checkpoint, a latent-2 run for latent-grid, a corrupted
// checkpoint, and SIGINT during training. Each child runs under a hard
// timeout and none outlives the file.
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPng, type GrayImage } from "@vae/imaging";
import { paramCount, DEFAULT_VAE_CONFIG } from "@vae/model";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const BIN = join(ROOT, "apps/vae/bin/vae.mjs");
const children = new Set<ChildProcess>();
let work = "";

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `vae args...`; kills it (and fails) after timeoutMs. `onStdout` may signal the child. */
function vae(args: string[], timeoutMs = 120_000, onStdout?: (text: string, child: ChildProcess) => void): Promise<Run> {
  return new Promise((done, fail) => {
    const env = { ...process.env };
    delete env.VAE_DEBUG;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (b) => {
      stdout += String(b);
      onStdout?.(stdout, child);
    });
    child.stderr!.on("data", (b) => (stderr += String(b)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`vae ${args.join(" ")} timed out after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      done({ code, signal, stdout, stderr });
    });
  });
}

function ok(r: Run): Run {
  if (r.code !== 0) throw new Error(`exit ${r.code} (${r.signal})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

/** A grid of n cells of 28x28 with padding 2 in `columns` columns. */
const gridSide = (cells: number) => cells * 28 + (cells + 1) * 2;

function expectPicture(img: GrayImage, width: number, height: number): void {
  expect([img.width, img.height]).toEqual([width, height]);
  const distinct = new Set(img.gray);
  expect(distinct.size).toBeGreaterThan(10); // decoded digits, not a flat picture
}

function testLosses(stdout: string): number[] {
  return [...stdout.matchAll(/^epoch (\d+)\/\d+ test: -ELBO ([\d.]+) nats/gm)].map((m) => Number(m[2]));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "vae-cli-e2e-"));
});

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

describe("vae CLI on an MNIST subset", () => {
  let runDir = "";
  let checkpoint = "";
  let losses: number[] = [];

  it("trains: prints the run directory, the test loss falls from epoch 1 to 2, and writes config, samples and a checkpoint", async () => {
    const r = ok(await vae(["train", "--train-limit", "2048", "--test-limit", "500", "--epochs", "2", "--batch-size", "64", "--run-dir", join(work, "runs")]));
    expect(r.stderr).toMatch(/^backend: using (wasm|cpu|tensorflow|tensorflow-gpu) /m);
    runDir = /^run directory: (.+)$/m.exec(r.stdout)![1]!;
    expect(runDir.startsWith(join(work, "runs"))).toBe(true);
    losses = testLosses(r.stdout);
    expect(losses).toHaveLength(2);
    expect(losses[1]!).toBeLessThan(losses[0]!);
    expect(losses[0]!).toBeGreaterThan(0);

    const config = JSON.parse(readFileSync(join(runDir, "config.json"), "utf8"));
    expect(config).toMatchObject({ dataset: "mnist", batchSize: 64, epochs: 2, trainLimit: 2048, testLimit: 500 });
    for (const e of [1, 2]) expectPicture(readPng(join(runDir, "samples", `epoch-${e}.png`)), gridSide(8), gridSide(8));
    checkpoint = join(runDir, "checkpoints", "latest");
    expect(existsSync(join(checkpoint, "state.json"))).toBe(true);
  });

  it("eval: the negative ELBO of the same 500 test images matches the last epoch line; the IW bound is tighter", async () => {
    const r = ok(await vae(["eval", "--checkpoint", checkpoint, "--limit", "500", "--iw-samples", "20", "--json"]));
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]!);
    expect(result).toMatchObject({ dataset: "mnist", count: 500, iwSamples: 20, step: 64 });
    expect(result.negativeElbo).toBeCloseTo(result.reconstruction + result.kl, 6);
    // Same parameters, same images, same evaluation noise: the number printed during training.
    expect(Math.abs(result.negativeElbo - losses[1]!)).toBeLessThan(0.01);
    expect(result.iwNegativeLogLikelihood).toBeGreaterThan(0);
    expect(result.iwNegativeLogLikelihood).toBeLessThan(result.negativeElbo);

    const text = ok(await vae(["eval", "--checkpoint", runDir, "--limit", "100"]));
    expect(text.stdout).toMatch(/^negative ELBO: [\d.]+ nats per example \(reconstruction [\d.]+, KL [\d.]+\)$/m);
  });

  it("sample, reconstruct and interpolate write PNGs of the expected layout", async () => {
    ok(await vae(["sample", "--checkpoint", checkpoint, "--out", join(work, "sample.png"), "--count", "16", "--seed", "5"]));
    expectPicture(readPng(join(work, "sample.png")), gridSide(4), gridSide(4));

    ok(await vae(["reconstruct", "--checkpoint", checkpoint, "--out", join(work, "recon.png"), "--count", "8"]));
    const recon = readPng(join(work, "recon.png"));
    expectPicture(recon, gridSide(8), 2 * gridSide(1) + 4);

    ok(await vae(["interpolate", "--checkpoint", checkpoint, "--out", join(work, "interp.png"), "--from", "2", "--to", "9", "--steps", "6"]));
    expectPicture(readPng(join(work, "interp.png")), gridSide(8), gridSide(1));
  });

  it("export writes the weights and a manifest", async () => {
    ok(await vae(["export", "--checkpoint", checkpoint, "--out", join(work, "export")]));
    const manifest = JSON.parse(readFileSync(join(work, "export", "model.json"), "utf8"));
    expect(manifest.model.latentSize).toBe(DEFAULT_VAE_CONFIG.latentSize);
    expect(statSync(join(work, "export", "weights.bin")).size).toBe(4 * paramCount(manifest.model));
  });

  it("latent-grid refuses a latent size other than 2 with a clear error and exit 1", async () => {
    const r = await vae(["latent-grid", "--checkpoint", checkpoint, "--out", join(work, "nope.png")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: latent-grid draws a 2-D latent space, but checkpoint .* has latent size 20/m);
    expect(existsSync(join(work, "nope.png"))).toBe(false);
  });

  it("latent-grid draws the manifold of a latent-2 model", async () => {
    const t = ok(await vae(["train", "--latent", "2", "--hidden", "64", "--train-limit", "512", "--test-limit", "100", "--epochs", "1", "--run-dir", join(work, "runs2")]));
    const dir = /^run directory: (.+)$/m.exec(t.stdout)![1]!;
    ok(await vae(["latent-grid", "--checkpoint", dir, "--out", join(work, "grid.png"), "--size", "5"]));
    expectPicture(readPng(join(work, "grid.png")), gridSide(5), gridSide(5));
  });

  it("a corrupted checkpoint gives a one-line error naming the file and exit 1, no stack trace", async () => {
    const copy = join(work, "corrupt");
    cpSync(runDir, copy, { recursive: true, verbatimSymlinks: true });
    const step = readdirSync(join(copy, "checkpoints")).find((n) => n.startsWith("step-"))!;
    const weights = join(copy, "checkpoints", step, "weights.bin");
    const bytes = readFileSync(weights);
    bytes[1000] = bytes[1000]! ^ 0xff;
    writeFileSync(weights, bytes);
    const r = await vae(["sample", "--checkpoint", join(copy, "checkpoints", step), "--out", join(work, "bad.png")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot use checkpoint .*weights\.bin: checksum mismatch/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);

    const missing = await vae(["eval", "--checkpoint", join(work, "no-such-run")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: checkpoint .*no-such-run does not exist$/m);
  });

  it("SIGINT stops training after the current step, writes a final checkpoint and exits 0", async () => {
    let sent = false;
    const r = await vae(["train", "--train-limit", "2048", "--test-limit", "100", "--epochs", "100", "--batch-size", "64", "--run-dir", join(work, "runs3")], 120_000, (out, child) => {
      // Interrupt once the first epoch is done, so the stop happens mid-run.
      if (!sent && /^epoch 1\/100 samples:/m.test(out)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SIGINT: stopping after the current step/m);
    const stopped = /^stopped by signal at step (\d+) of 3200/m.exec(r.stdout);
    expect(stopped).not.toBeNull();
    const step = Number(stopped![1]);
    expect(step).toBeGreaterThanOrEqual(32);
    expect(step).toBeLessThan(3200);
    const dir = /^run directory: (.+)$/m.exec(r.stdout)![1]!;
    const state = JSON.parse(readFileSync(join(dir, "checkpoints", "latest", "state.json"), "utf8"));
    expect(state.step).toBe(step);

    // --resume continues that run from its checkpoint; --epochs may extend or (here) shorten it.
    const target = Math.ceil((step + 1) / 32) * 32; // the end of the epoch the stop fell in
    const resumed = ok(await vae(["train", "--resume", dir, "--epochs", String(target / 32)]));
    expect(resumed.stdout).toMatch(new RegExp(`^resuming from .*step-0*${step} at step ${step}$`, "m"));
    expect(resumed.stdout).toMatch(new RegExp(`^at step ${target} of ${target} `, "m"));
    expect(JSON.parse(readFileSync(join(dir, "checkpoints", "latest", "state.json"), "utf8")).step).toBe(target);
  });
});
