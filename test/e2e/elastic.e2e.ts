// Elastic membership and recovery, one scenario each (DESIGN §4): a graceful
// SIGTERM leave, a frozen (SIGSTOP) worker caught by the heartbeat, dropping
// below --min-workers and recovering, a coordinator killed with kill -9 and
// restarted with --resume (its workers reconnect), and a corrupt latest
// checkpoint falling back to the previous one.
import { createServer } from "node:net";
import { existsSync, readFileSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { TEST_TOKEN, startCluster, type Cluster } from "./support/cluster.ts";
import { killAll, start, until, type Proc } from "./support/processes.ts";

const SMALL = ["--train-limit", "512", "--test-limit", "100", "--batch-size", "32", "--epochs", "100"];

afterEach(killAll);
afterAll(killAll);

function worker(cluster: { url: string }, id: string, extra: string[] = []): Proc {
  return start("worker", ["--coordinator", cluster.url, "--backend", "wasm", "--id", id, ...extra], { env: { VAE_CLUSTER_TOKEN: TEST_TOKEN } });
}

async function stepAtLeast(cluster: Cluster, step: number, timeoutMs = 60_000): Promise<void> {
  await until(async () => (await cluster.status()).step >= step, timeoutMs, `step ${step}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("membership changes", () => {
  it("a SIGTERMed worker leaves cleanly and training goes on without it", async () => {
    const cluster = await startCluster(["--workers", "2", ...SMALL]);
    const a = worker(cluster, "a");
    worker(cluster, "b");
    await stepAtLeast(cluster, 5);
    a.child.kill("SIGTERM");
    expect(await a.exited).toEqual({ code: 0, signal: null });
    const at = (await cluster.status()).step;
    await stepAtLeast(cluster, at + 5);
    const s = await cluster.status();
    expect(s.workers.map((w: any) => w.workerId)).toEqual(["b"]);
    expect(s.events.some((e: any) => e.reason === "leave" && e.workerId === "a")).toBe(true);
    expect(cluster.proc.output()).toMatch(/lost worker a \(rank \d of generation \d+, host 127\.0\.0\.1\): left/);
  });

  it("a frozen (SIGSTOP) worker is dropped by the heartbeat; after SIGCONT it rejoins", async () => {
    const cluster = await startCluster(["--workers", "2", "--heartbeat-interval", "250", "--heartbeat-timeout", "1500", "--step-timeout", "3000", ...SMALL]);
    const frozen = worker(cluster, "frozen");
    worker(cluster, "steady");
    await stepAtLeast(cluster, 5);
    const stoppedAt = Date.now();
    frozen.child.kill("SIGSTOP");
    try {
      await until(async () => (await cluster.status()).workers.every((w: any) => w.workerId !== "frozen"), 10_000, "the frozen worker to be dropped");
      expect(Date.now() - stoppedAt).toBeLessThan(5_000);
      expect(cluster.proc.output()).toMatch(/lost worker frozen \(rank \d of generation \d+, host 127\.0\.0\.1\): (heartbeat missed|step deadline missed)/);
      const at = (await cluster.status()).step;
      await stepAtLeast(cluster, at + 5);
    } finally {
      frozen.child.kill("SIGCONT");
    }
    await until(async () => (await cluster.status()).workers.some((w: any) => w.workerId === "frozen" && w.rank !== null), 30_000, "the thawed worker to rejoin");
    const at = (await cluster.status()).step;
    await stepAtLeast(cluster, at + 3);
    const last = cluster.steps().at(-1);
    expect(last.workers.sort()).toEqual(["frozen", "steady"]);
  });

  it("a worker its neighbours cannot reach is refused with the reason, and the others go on", async () => {
    const cluster = await startCluster(["--workers", "1", ...SMALL]);
    worker(cluster, "good");
    await stepAtLeast(cluster, 3);
    // It listens on 127.0.0.1 but tells its peers 127.0.0.2: nobody can dial it.
    const lost = worker(cluster, "lost", ["--advertise-host", "127.0.0.2"]);
    expect((await lost.exited).code).toBe(1);
    expect(lost.output()).toMatch(/VAE_ERR_CONFIG_MISMATCH: refused: good could not connect to its peer address 127\.0\.0\.2:\d+ in 2 generations in a row; start it with --advertise-host/);
    expect(cluster.proc.output()).toMatch(/lost worker lost \(rank \d of generation \d+, host 127\.0\.0\.2\): unreachable by its ring neighbours/);
    const at = (await cluster.status()).step;
    await stepAtLeast(cluster, at + 5);
    const s = await cluster.status();
    expect(s.workers.map((w: any) => w.workerId)).toEqual(["good"]);
    expect(s.events.some((e: any) => e.reason === "unreachable" && e.workerId === "lost")).toBe(true);
  });

  it("below --min-workers it waits with a clear message, and resumes when a worker returns", async () => {
    const cluster = await startCluster(["--workers", "2", "--min-workers", "2", ...SMALL]);
    const a = worker(cluster, "a");
    worker(cluster, "b");
    await stepAtLeast(cluster, 3);
    a.child.kill("SIGKILL");
    await until(async () => (await cluster.status()).state === "waiting", 10_000, "state waiting");
    const pausedAt = (await cluster.status()).step;
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await cluster.status()).step).toBe(pausedAt); // paused, not spinning through steps
    expect(cluster.proc.output()).toMatch(/waiting for workers: 1 of 2 connected/);
    worker(cluster, "c");
    await stepAtLeast(cluster, pausedAt + 3, 60_000);
    expect((await cluster.status()).state).toBe("training");
  });
});

describe("no live replica left", () => {
  it("a newcomer starts from the last checkpoint when every replica is gone, and the run records the rollback", async () => {
    // Checkpoints every 20 steps; the kill lands a few steps past 23, well before the next one at 40.
    const cluster = await startCluster(["--workers", "1", "--checkpoint-every", "20", "--max-steps", "50", "--train-limit", "2048", "--test-limit", "100", "--batch-size", "32"]);
    const only = worker(cluster, "only");
    await until(async () => existsSync(join(cluster.runDir, "checkpoints", "step-00000020")), 60_000, "the checkpoint of step 20");
    await stepAtLeast(cluster, 23);
    only.child.kill("SIGKILL");
    await only.exited;
    const lostAt = (await cluster.status()).step;
    worker(cluster, "newcomer");
    expect(await cluster.proc.exited).toEqual({ code: 0, signal: null });
    const output = cluster.proc.output();
    expect(lostAt).toBeLessThan(40);
    expect(output).toMatch(/no live replica holds step \d+; rolling back to step 20/);
    expect(output).toMatch(/sending state of step 20 from the state of step 20 fetched for a checkpoint/);
    const rollback = cluster.steps().find((l) => l.rolledBackTo !== undefined);
    expect(rollback.from).toBeGreaterThanOrEqual(lostAt);
    expect(rollback.rolledBackTo).toBeLessThan(rollback.from);
    expect(cluster.steps().at(-1).step).toBe(49);
  });
});

describe("coordinator restart", () => {
  it("kill -9, then --resume: workers reconnect and the run continues from the newest state", async () => {
    const port = await freePort();
    // A known port (the later --port wins over startCluster's --port 0), so the workers find the restarted coordinator.
    const cluster = await startCluster(["--port", String(port), "--workers", "2", "--checkpoint-every", "10", "--max-steps", "60", "--train-limit", "512", "--test-limit", "100", "--batch-size", "32"], { runName: "resumed" });
    const a = worker(cluster, "a");
    const b = worker(cluster, "b");
    await stepAtLeast(cluster, 25);
    cluster.proc.child.kill("SIGKILL");
    await cluster.proc.exited;
    const checkpoints = readdirSync(join(cluster.runDir, "checkpoints")).filter((d) => d.startsWith("step-"));
    expect(checkpoints.length).toBeGreaterThan(0);

    const again = start("coordinator", ["--port", String(port), "--run-dir", cluster.runRoot, "--resume", cluster.runDir, "--backend", "wasm"], { env: { VAE_CLUSTER_TOKEN: TEST_TOKEN } });
    await again.waitFor(/resuming from .*step-000000[0-9]+ at step (\d+)/, 60_000);
    expect(await again.exited).toEqual({ code: 0, signal: null });
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(await b.exited).toEqual({ code: 0, signal: null });
    const history = readFileSync(join(cluster.runDir, "steps.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const steps = new Set(history.filter((l) => l.step !== undefined).map((l) => l.step));
    for (let s = 0; s < 60; s++) expect(steps.has(s), `step ${s} committed`).toBe(true);
    expect(again.output()).toMatch(/finished at step 60/);
  });

  it("a corrupt latest checkpoint is reported and the previous one is used", async () => {
    const cluster = await startCluster(["--workers", "1", "--spawn-workers", "1", "--checkpoint-every", "5", "--keep-checkpoints", "5", "--max-steps", "20", ...SMALL.slice(0, 6)]);
    expect(await cluster.proc.exited).toEqual({ code: 0, signal: null });
    const dir = join(cluster.runDir, "checkpoints");
    // Flip one byte of the newest checkpoint's weights, truncate the one before it.
    const weights = join(dir, "step-00000020", "weights.bin");
    const bytes = readFileSync(weights);
    bytes[100] ^= 0xff;
    writeFileSync(weights, bytes);
    truncateSync(join(dir, "step-00000015", "optimizer.bin"), 10);
    const resumed = start("coordinator", ["--port", "0", "--run-dir", cluster.runRoot, "--resume", cluster.runDir, "--workers", "1", "--spawn-workers", "1", "--max-steps", "25", "--backend", "wasm"], { env: { VAE_CLUSTER_TOKEN: TEST_TOKEN } });
    await resumed.waitFor(/resuming from .*step-00000010 at step 10/, 60_000);
    expect(resumed.output()).toMatch(/step-00000020.*weights\.bin: checksum mismatch/s);
    expect(resumed.output()).toMatch(/step-00000015.*optimizer\.bin/s);
    expect(await resumed.exited).toEqual({ code: 0, signal: null });
  });
});
