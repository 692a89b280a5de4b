// Recovery time: a 3-worker cluster trains on MNIST while this script SIGKILLs
// a random worker KILLS times (seeded), starting a replacement each time. For
// each kill it measures, from the coordinator's run history (steps.jsonl, which
// stamps every committed step with its wall-clock time):
//   - recovery: SIGKILL → the next committed step (survivors move to g+1 and continue);
//   - join: replacement started → its first committed step (process start, backend,
//     dataset, handshake, state transfer, ring setup).
// Default timeouts throughout. Run: npm run bench:recovery
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "@vae/random";
import { median } from "./stats.ts";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const BIN = (name: string) => join(ROOT, `apps/${name}/bin/vae-${name}.mjs`);
const KILLS = process.argv.includes("--quick") ? 3 : 7;
const TOKEN = "bench";
const children = new Set<ChildProcess>();

function launch(bin: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, VAE_CLUSTER_TOKEN: TOKEN } });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let out = "";
  child.stdout!.on("data", (b) => (out += b));
  child.stderr!.on("data", (b) => (out += b));
  return { child, output: () => out };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const runRoot = mkdtempSync(join(tmpdir(), "vae-bench-recovery-"));
const cleanup = () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(runRoot, { recursive: true, force: true });
};
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

try {
  const coordinator = launch(BIN("coordinator"), ["--port", "0", "--run-dir", runRoot, "--run-name", "r", "--workers", "3", "--min-workers", "1", "--epochs", "100", "--checkpoint-every", "0", "--train-limit", "10000", "--test-limit", "200"]);
  let port = 0;
  for (let i = 0; i < 600 && !port; i++) {
    const m = coordinator.output().match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    if (m) port = Number(m[1]);
    else await sleep(100);
  }
  if (!port) throw new Error(`coordinator did not start:\n${coordinator.output()}`);
  const status = async () => (await fetch(`http://127.0.0.1:${port}/api/status`)).json() as Promise<any>;
  const history = () => readFileSync(join(runRoot, "r", "steps.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((l) => l.committedAt !== undefined);
  const workers = new Map<string, ChildProcess>();
  let next = 0;
  const addWorker = () => {
    const id = `w${next++}`;
    workers.set(id, launch(BIN("worker"), ["--coordinator", `ws://127.0.0.1:${port}`, "--id", id]).child);
    return { id, startedAt: Date.now() };
  };
  for (let i = 0; i < 3; i++) addWorker();

  const rng = new Rng(4242);
  const recoveries: number[] = [];
  const joins: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    // Steady state first: three members, all in sync, a few steps done together.
    for (let i = 0; ; i++) {
      const s = await status();
      const synced = s.workers.filter((w: any) => w.rank !== null && w.lastStep !== null && w.lastStep >= s.step - 1);
      if (s.state === "training" && synced.length === 3) break;
      if (i > 1200) throw new Error("cluster never reached three synced workers");
      await sleep(100);
    }
    await sleep(500 + rng.nextInt(500));
    const members = (await status()).workers.filter((w: any) => w.rank !== null);
    const victim = members[rng.nextInt(members.length)].workerId as string;
    const killedAt = Date.now();
    workers.get(victim)!.kill("SIGKILL");
    const replacement = addWorker();
    let recovered = 0;
    let joined = 0;
    for (let i = 0; i < 1200 && (!recovered || !joined); i++) {
      await sleep(20);
      const h = history();
      recovered ||= h.find((l) => l.committedAt > killedAt)?.committedAt ?? 0;
      joined ||= h.find((l) => l.workers.includes(replacement.id))?.committedAt ?? 0;
    }
    if (!recovered || !joined) throw new Error(`kill ${k + 1}: no recovery within 24 s\n${coordinator.output().slice(-3000)}`);
    recoveries.push(recovered - killedAt);
    joins.push(joined - replacement.startedAt);
    process.stderr.write(`kill ${k + 1}/${KILLS} (${victim}): next committed step after ${recovered - killedAt} ms; replacement ${replacement.id} took its first step after ${joined - replacement.startedAt} ms\n`);
  }
  console.log(`recovery from a SIGKILLed worker, ${KILLS} kills, 3 workers, default timeouts`);
  console.log(`kill → next committed step:   median ${median(recoveries)} ms, max ${Math.max(...recoveries)} ms`);
  console.log(`new worker → its first step: median ${median(joins)} ms, max ${Math.max(...joins)} ms`);
  console.log(JSON.stringify({ bench: "recovery", what: "kill-to-next-step", kills: KILLS, medianMs: median(recoveries), maxMs: Math.max(...recoveries), samplesMs: recoveries }));
  console.log(JSON.stringify({ bench: "recovery", what: "join-to-first-step", kills: KILLS, medianMs: median(joins), maxMs: Math.max(...joins), samplesMs: joins }));
} finally {
  cleanup();
}
