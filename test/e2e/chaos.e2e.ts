// The headline fault-tolerance test (issue "elastic membership", DESIGN §4):
// three workers train while a seeded script SIGKILLs a random worker at random
// moments (some land mid all-reduce) and starts a replacement, five times. The
// run must end exactly where an uninterrupted single-process run ends: every
// step committed exactly once, final parameters within 1e-4 relative of the
// reference, every replica's digest equal, and no process left behind.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { readCheckpoint } from "@vae/checkpoint";
import { parseRunConfigFlags, withImageSize } from "@vae/cli";
import { loadDataset } from "@vae/data";
import { selectBackend } from "@vae/model";
import { Rng } from "@vae/random";
import { trainSingleProcess } from "@vae/training";
import { relativeL2 } from "./support/numeric.ts";
import { TEST_TOKEN, startCluster } from "./support/cluster.ts";
import { alive, killAll, saveArtifact, start, until, type Proc } from "./support/processes.ts";

const STEPS = 150;
const KILLS = 5;
const FLAGS = { trainLimit: "640", testLimit: "100", seed: "11", epochs: "10", batchSize: "32" }; // 20 steps per epoch

beforeAll(async () => {
  await selectBackend("wasm");
});
afterEach(killAll);
afterAll(killAll);


it("survives five random SIGKILLs with replacements and ends equal to the uninterrupted reference", async () => {
  const config = withImageSize(parseRunConfigFlags(FLAGS), 28, 28);
  const dataset = loadDataset(config.dataset, { limit: { train: config.trainLimit, test: config.testLimit } });
  const ref = await trainSingleProcess({ config, dataset, maxSteps: STEPS, evaluateEachEpoch: false });
  const refParams = ref.replica.params.slice();
  ref.replica.dispose();

  const cluster = await startCluster([
    "--workers", "3", "--min-workers", "1", "--max-steps", String(STEPS), "--checkpoint-every", "50", "--digest-every", "25",
    "--train-limit", FLAGS.trainLimit, "--test-limit", FLAGS.testLimit, "--seed", FLAGS.seed, "--epochs", FLAGS.epochs, "--batch-size", FLAGS.batchSize,
  ], { deadlineMs: 280_000 });
  const workers = new Map<string, Proc>();
  let next = 0;
  const addWorker = () => {
    const id = `w${next++}`;
    workers.set(id, start("worker", ["--coordinator", cluster.url, "--backend", "wasm", "--id", id], { env: { VAE_CLUSTER_TOKEN: TEST_TOKEN, VAE_RECORD_INDICES: join(cluster.runRoot, `indices-${id}.jsonl`) } }));
  };
  for (let i = 0; i < 3; i++) addWorker();

  const rng = new Rng(2026);
  const targets = Array.from({ length: KILLS }, () => 5 + rng.nextInt(STEPS - 30)).sort((a, b) => a - b);
  const killed: string[] = [];
  for (const target of targets) {
    // Kill only while another replica is in sync (it took part in the last committed step), so a live
    // peer always holds the newest state; losing every replica is the checkpoint-fallback case, tested elsewhere.
    let members: any[] = [];
    await until(async () => {
      const s = await cluster.status();
      members = s.workers.filter((w: any) => w.rank !== null && w.lastStep !== null && w.lastStep >= s.step - 1);
      return s.step >= target && members.length >= 2;
    }, 120_000, `step ${target} with at least two replicas in sync`);
    await new Promise((r) => setTimeout(r, rng.nextInt(40))); // land anywhere in a step: compute, all-reduce or apply
    const victim = members[rng.nextInt(members.length)].workerId as string;
    workers.get(victim)!.child.kill("SIGKILL");
    await workers.get(victim)!.exited;
    killed.push(victim);
    addWorker();
  }
  expect(killed).toHaveLength(KILLS);

  const exit = await cluster.proc.exited;
  const output = cluster.proc.output();
  saveArtifact("chaos-coordinator.log", output + [...workers].map(([id, w]) => `\n===== worker ${id} =====\n${w.output()}`).join(""));
  expect(exit, output.slice(-4000)).toEqual({ code: 0, signal: null });
  for (const victim of killed) expect(output).toMatch(new RegExp(`lost worker ${victim} \\(rank \\d+ of generation \\d+, host [^)]+\\): connection closed`));

  // Exactly once: every step committed once, none rolled back.
  const history = cluster.steps();
  expect(history.filter((l) => l.rolledBackTo !== undefined)).toEqual([]);
  const committed = history.map((l) => l.step).sort((a, b) => a - b);
  expect(committed).toEqual([...Array(STEPS).keys()]);
  expect(new Set(history.map((l) => l.generation)).size).toBeGreaterThan(KILLS); // every kill and every join moved the generation

  // Exactly once, sample by sample: the indices the ranks contributed to each step's committed
  // attempt (its last generation) cover every epoch's permutation exactly once.
  const records = readdirSync(cluster.runRoot).filter((f) => f.startsWith("indices-")).flatMap((f) =>
    readFileSync(join(cluster.runRoot, f), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { g: number; step: number; rank: number; indices: number[] }),
  );
  const stepsPerEpoch = Number(FLAGS.trainLimit) / Number(FLAGS.batchSize);
  const seen = new Map<number, number[]>(); // epoch -> sample indices used by its committed steps
  for (let step = 0; step < STEPS; step++) {
    const attempts = records.filter((r) => r.step === step);
    const lastG = Math.max(...attempts.map((r) => r.g));
    const committedAttempt = attempts.filter((r) => r.g === lastG);
    expect(new Set(committedAttempt.map((r) => r.rank)).size, `ranks of step ${step}`).toBe(committedAttempt.length);
    const epoch = Math.floor(step / stepsPerEpoch);
    seen.set(epoch, [...(seen.get(epoch) ?? []), ...committedAttempt.flatMap((r) => r.indices)]);
  }
  for (const [epoch, used] of seen) {
    const complete = (epoch + 1) * stepsPerEpoch <= STEPS;
    expect(new Set(used).size, `epoch ${epoch}: no sample twice`).toBe(used.length);
    if (complete) expect([...used].sort((a, b) => a - b), `epoch ${epoch}: every sample once`).toEqual([...Array(Number(FLAGS.trainLimit)).keys()]);
  }

  // The model is the uninterrupted one, and every surviving replica agrees.
  const final = await readCheckpoint(`${cluster.runDir}/checkpoints/latest`);
  expect(final.step).toBe(STEPS);
  expect(relativeL2(final.params, refParams)).toBeLessThan(1e-4);
  const last = history.filter((l) => l.digests).at(-1);
  expect(last.step).toBe(STEPS - 1);
  expect(new Set(last.digests).size).toBe(1);

  // Survivors were stopped by the coordinator; nothing is left running.
  await Promise.all([...workers.values()].map((w) => w.exited));
  for (const w of workers.values()) expect(alive(w.child.pid!)).toBe(false);
}, 300_000);
