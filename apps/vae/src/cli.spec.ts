import { afterEach, describe, expect, it, vi } from "vitest";
import { buildProgram, runCli } from "./cli.ts";
import { EVAL_DEFAULTS, FIGURE_DEFAULTS, TRAIN_DEFAULTS } from "./defaults.ts";

// Commander prints its own errors and help to the process streams; keep test output clean.
function quiet() {
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  return { out, err };
}

async function cli(...args: string[]) {
  const lines: string[] = [];
  const code = await runCli(["node", "vae", ...args], { error: (l) => lines.push(l) });
  return { code, message: lines.join("\n") };
}

afterEach(() => vi.restoreAllMocks());

describe("vae command line", () => {
  it.each([
    [["train", "--epochs", "abc"], /--epochs: expected a positive integer, got "abc"/],
    [["train", "--lr", "-1"], /--lr: expected a finite number > 0, got "-1"/],
    [["train", "--decoder", "poisson"], /--decoder: expected one of bernoulli, gaussian, got "poisson"/],
    [["sample", "--checkpoint", "x", "--out", "y.png", "--count", "0"], /--count: expected a positive integer, got "0"/],
    [["sample", "--checkpoint", "x"], /--out is required/],
    [["eval", "--checkpoint", "x", "--iw-samples", "many"], /--iw-samples: expected a non-negative integer, got "many"/],
    [["interpolate", "--checkpoint", "x", "--out", "y.png", "--from", "3"], /--from and --to go together/],
    [["interpolate", "--checkpoint", "x", "--out", "y.png", "--from", "3", "--to", "3"], /name the same image/],
    [["latent-grid", "--checkpoint", "x", "--out", "y.png", "--size", "1"], /--size: expected an integer >= 2, got "1"/],
    [["reconstruct", "--checkpoint", "x", "--out", "y.png", "--backend", "cuda"], /--backend: expected one of auto.*got "cuda"/],
  ])("exits 2 with a message naming the flag and value: %j", async (args, message) => {
    quiet();
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.message).toMatch(message);
  });

  it("exits 2 on an unknown command or option (commander's message)", async () => {
    const { err } = quiet();
    expect((await cli("frobnicate")).code).toBe(2);
    expect((await cli("sample", "--bogus")).code).toBe(2);
    expect(err.mock.calls.map((c) => String(c[0])).join("")).toMatch(/unknown command 'frobnicate'[\s\S]*unknown option '--bogus'/);
  });

  it("exits 0 for --help", async () => {
    const { out } = quiet();
    expect((await cli("train", "--help")).code).toBe(0);
    expect(out.mock.calls.map((c) => String(c[0])).join("")).toMatch(/--batch-size <n>/);
  });

  it("exits 1 without a stack trace when the checkpoint does not exist", async () => {
    quiet();
    const r = await cli("eval", "--checkpoint", "/nonexistent/vae-checkpoint", "--backend", "cpu");
    expect(r.code).toBe(1);
    expect(r.message).toBe("error: checkpoint /nonexistent/vae-checkpoint does not exist");
  });

  it("shows the defaults of defaults.ts in each command's help", () => {
    const program = buildProgram(async () => {});
    const help = (name: string) => program.commands.find((c) => c.name() === name)!.helpInformation().replace(/\s+/g, " ");
    expect(help("train")).toContain(`(default: ${TRAIN_DEFAULTS.batchSize})`);
    expect(help("train")).toContain(`(default: ${TRAIN_DEFAULTS.learningRate})`);
    expect(help("train")).toContain(`(default: ${TRAIN_DEFAULTS.hiddenSizes.join(",")})`);
    expect(help("sample")).toContain(`(default: ${FIGURE_DEFAULTS.sampleCount})`);
    expect(help("latent-grid")).toContain(`(default: ${FIGURE_DEFAULTS.latentGridSize})`);
    expect(help("eval")).toContain(`(default: ${EVAL_DEFAULTS.iwSamples})`);
    for (const name of ["train", "sample", "reconstruct", "interpolate", "latent-grid", "eval", "export"]) expect(help(name)).toMatch(/--backend <name>/);
  });
});
