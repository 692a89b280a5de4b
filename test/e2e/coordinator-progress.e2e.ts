// The coordinator's terminal output in its three modes, on a short live run:
//  - on a terminal (a pty from util-linux `script`): a progress bar, and log
//    lines printed above it, never inside it. The raw bytes are replayed
//    through a minimal terminal model and the resulting screen is checked;
//  - on a pipe: plain progress lines, no escape codes;
//  - with --log-format json: every stdout line is a JSON record, progress
//    included, with its fields.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TEST_TOKEN } from "./support/cluster.ts";
import { BINS, ROOT, killAll, start } from "./support/processes.ts";

// Two epochs of 8 steps: an evaluation log line lands while the bar is drawn.
const RUN = ["--port", "0", "--spawn-workers", "2", "--backend", "wasm", "--train-limit", "256", "--test-limit", "100", "--batch-size", "32", "--epochs", "2", "--checkpoint-every", "0"];

let pty: ChildProcess | null = null;

afterEach(async () => {
  if (pty && pty.exitCode === null && pty.signalCode === null) {
    const gone = new Promise((r) => pty!.once("exit", r));
    pty.kill("SIGKILL"); // the coordinator gets SIGHUP from its closed terminal; its workers watch its pid
    await gone;
  }
  pty = null;
  await killAll();
});

/**
 * The screen (with scrollback) that `raw` terminal output leaves: printable
 * characters overwrite at the cursor; CR, LF, CSI n G (column), CSI n A (up),
 * CSI 2K / CSI K (erase line / to its end) move and erase; other escapes
 * (colours, cursor visibility, line wrap) do not change the text.
 */
function screen(raw: string): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === "\x1b") {
      const m = /^\x1b\[([?0-9;]*)([A-Za-z])/.exec(raw.slice(i, i + 16));
      if (!m) continue;
      i += m[0].length - 1;
      const n = Number(m[1]) || 0;
      if (m[2] === "G") col = Math.max(0, (n || 1) - 1);
      else if (m[2] === "A") row = Math.max(0, row - (n || 1));
      else if (m[2] === "K" && n === 2) lines[row] = [];
      else if (m[2] === "K") lines[row]!.length = Math.min(lines[row]!.length, col);
      continue;
    }
    if (ch === "\r") col = 0;
    else if (ch === "\n") {
      row += 1;
      lines[row] ??= [];
    } else {
      const line = lines[row]!;
      while (line.length < col) line.push(" ");
      line[col++] = ch;
    }
  }
  return lines.map((l) => l.join("").trimEnd());
}

describe("coordinator terminal output", () => {
  it("on a terminal: a progress bar with loss, samples/s and ETA, and log lines above it, never inside it", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "vae-progress-"));
    const typescript = join(runDir, "typescript");
    const command = [process.execPath, BINS.coordinator, ...RUN, "--run-dir", runDir].map((a) => `'${a}'`).join(" ");
    // -e: exit with the coordinator's status; -f: flush as it goes; -q: no banner.
    pty = spawn("script", ["-qefc", command, typescript], { cwd: ROOT, env: { ...process.env, VAE_CLUSTER_TOKEN: TEST_TOKEN, COLUMNS: "120", LINES: "40" }, stdio: ["ignore", "ignore", "pipe"] });
    const exit = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the coordinator under script did not finish in 120 s")), 120_000);
      pty!.once("exit", (code) => (clearTimeout(timer), resolve(code)));
      pty!.once("error", reject);
    });
    expect(exit).toBe(0);
    // script(1) frames the session with a header and footer line of its own.
    const raw = readFileSync(typescript, "utf8").replace(/^Script started[^\n]*\n/, "").replace(/\nScript done[^\n]*\n?$/, "");
    expect(raw).toContain("\x1b["); // it did think it had a terminal

    const lines = screen(raw).filter((l) => l.trim() !== "");
    const bars = lines.filter((l) => l.includes("█") || l.includes("░"));
    const logs = lines.filter((l) => / (INFO|WARN|ERROR): /.test(l));
    // The bar is left on screen, complete, with its fields.
    expect(bars.at(-1)).toMatch(/^epoch 2\/2 █+ step 8\/8 loss \d+\.\d\d \d+ samples\/s ETA \d+s$/);
    // Each log line is whole: it starts at the left edge and no bar shares its line.
    expect(logs.length).toBeGreaterThan(10);
    for (const l of logs) expect(l, "a log line on the screen").toMatch(/^\[\d\d:\d\d:\d\d\] (INFO|WARN|ERROR): coordinator: /);
    for (const l of bars) expect(l, "a bar line on the screen").toMatch(/^epoch \d\/2 [█░]+ step \d\/8 loss /);
    expect(lines.filter((l) => !bars.includes(l) && !logs.includes(l)), "lines that are neither a bar nor a log line").toEqual([
      expect.stringMatching(/^listening on http:\/\/127\.0\.0\.1:\d+$/),
    ]);
    // The evaluation of epoch 1 was logged while the bar was up, and came out whole.
    expect(logs.some((l) => /coordinator: epoch 1: test loss \d+\.\d\d nats \(reconstruction [\d.]+, KL [\d.]+\) over 100 test images$/.test(l))).toBe(true);
  });

  it("on a pipe: plain progress lines and no escape codes", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "vae-progress-"));
    const proc = start("coordinator", [...RUN, "--run-dir", runDir], { env: { VAE_CLUSTER_TOKEN: TEST_TOKEN }, deadlineMs: 120_000 });
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    const out = proc.output();
    expect(out).not.toContain("\x1b");
    expect(out).toMatch(/^epoch 2\/2 step 8\/8 loss \d+\.\d\d \(reconstruction \d+\.\d\d, KL \d+\.\d\d\) \d+ samples\/s ETA 0s$/m);
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: coordinator: run \S+ finished at step 16: completed 16 steps$/m);
  });

  it("with --log-format json: every line is a JSON record, progress included", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "vae-progress-"));
    const proc = start("coordinator", [...RUN, "--run-dir", runDir, "--log-format", "json"], { env: { VAE_CLUSTER_TOKEN: TEST_TOKEN }, deadlineMs: 120_000 });
    await proc.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/, 60_000); // what scripts wait for, in JSON too
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    const lines = proc.output().split("\n").filter((l) => l.trim() !== "");
    const records = lines.map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
    for (const r of records) {
      expect(r).toMatchObject({ level: expect.any(Number), time: expect.any(Number), name: "coordinator", msg: expect.any(String) });
    }
    const listening = records.find((r) => r.msg.startsWith("listening on "));
    expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const progress = records.filter((r) => r.progress);
    expect(progress.at(-1).progress).toMatchObject({ epoch: 2, epochs: 2, stepInEpoch: 8, stepsPerEpoch: 8, globalStep: 16, totalSteps: 16, loss: expect.any(Number), samplesPerSecond: expect.any(Number) });
    expect(records.some((r) => /^epoch 1: test loss/.test(r.msg))).toBe(true);
    const join_ = records.find((r) => / joined from /.test(r.msg));
    expect(join_).toMatchObject({ workerId: expect.any(String), host: "127.0.0.1", backend: "wasm" });
  });
});
