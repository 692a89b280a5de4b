// Cluster training throughput: aggregate samples/s of real `vae-coordinator
// --spawn-workers W` runs on MNIST at the default global batch (128), for W = 1
// and W = 2, measured in the same run, and the scaling efficiency
// sps(W) / (W · sps(1)). Each run trains --max-steps steps; the first WARMUP
// steps (backend start, JIT) are left out, and the figure is the committed
// samples over the summed coordinator step times of the rest.
// Run: npm run bench:train   (add --quick for a smoke run)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./stats.ts";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const COORDINATOR = join(ROOT, "apps/coordinator/bin/vae-coordinator.mjs");
const quick = process.argv.includes("--quick");
const STEPS = quick ? 60 : 260;
const WARMUP = 20;
const WORLD_SIZES = [1, 2];
const ROUNDS = quick ? 1 : 2; // W = 1, 2, 1, 2 …: drift in machine load hits both alike

interface Figure {
  workers: number;
  samplesPerSecond: number;
  msPerStep: number;
  computeMs: number;
  allreduceMs: number;
}


async function run(workers: number): Promise<Figure> {
  const runRoot = mkdtempSync(join(tmpdir(), "vae-bench-train-"));
  try {
    const args = [
      COORDINATOR, "--port", "0", "--run-dir", runRoot, "--run-name", "bench", "--workers", String(workers), "--spawn-workers", String(workers),
      "--max-steps", String(STEPS), "--checkpoint-every", "0", "--test-limit", "500", "--digest-every", "0",
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, VAE_CLUSTER_TOKEN: "bench" } });
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`coordinator with ${workers} worker(s) exited ${code}\n${out.slice(-3000)}`);
    const steps = readFileSync(join(runRoot, "bench", "steps.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((l) => l.step >= WARMUP && l.durationMs !== undefined);
    const ms = steps.reduce((a, s) => a + s.durationMs, 0);
    const samples = steps.reduce((a, s) => a + s.samples, 0);
    return {
      workers,
      samplesPerSecond: samples / (ms / 1000),
      msPerStep: ms / steps.length,
      computeMs: median(steps.map((s) => Math.max(...s.timings.map((t: any) => t.computeMs)))),
      allreduceMs: median(steps.map((s) => Math.max(...s.timings.map((t: any) => t.allreduceMs)))),
    };
  } finally {
    rmSync(runRoot, { recursive: true, force: true });
  }
}

const results = new Map<number, Figure[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const w of WORLD_SIZES) {
    const f = await run(w);
    results.set(w, [...(results.get(w) ?? []), f]);
    process.stderr.write(`round ${round + 1}: W=${w} ${f.samplesPerSecond.toFixed(0)} samples/s\n`);
  }
}
const best = (w: number) => results.get(w)!.reduce((a, b) => (b.samplesPerSecond > a.samplesPerSecond ? b : a));
const base = best(1);
console.log(`cluster training throughput, MNIST, global batch 128, ${STEPS - WARMUP} timed steps per run, best of ${ROUNDS}`);
console.log("workers  samples/s  ms/step  compute ms  all-reduce ms  scaling efficiency");
for (const w of WORLD_SIZES) {
  const f = best(w);
  const efficiency = f.samplesPerSecond / (w * base.samplesPerSecond);
  console.log(`${String(w).padStart(7)}  ${f.samplesPerSecond.toFixed(0).padStart(9)}  ${f.msPerStep.toFixed(1).padStart(7)}  ${f.computeMs.toFixed(1).padStart(10)}  ${f.allreduceMs.toFixed(1).padStart(13)}  ${efficiency.toFixed(2).padStart(18)}`);
}
for (const w of WORLD_SIZES) {
  const f = best(w);
  console.log(JSON.stringify({ bench: "train", workers: w, samplesPerSecond: Math.round(f.samplesPerSecond), msPerStep: +f.msPerStep.toFixed(2), computeMs: +f.computeMs.toFixed(2), allreduceMs: +f.allreduceMs.toFixed(2), scalingEfficiency: +(f.samplesPerSecond / (w * base.samplesPerSecond)).toFixed(3), ratioVsOneWorker: +(f.samplesPerSecond / base.samplesPerSecond).toFixed(3) }));
}
