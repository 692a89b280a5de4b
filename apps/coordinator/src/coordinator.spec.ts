// The coordinator's step cycle against fake workers (no sockets, no tfjs
// compute): who gets which message when, the state-source choice, run-ahead
// boundaries, and what a lost worker does to the generation. The multi-process
// behaviour is covered by test/e2e; this pins the protocol logic down.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { createCoordinatorMetrics } from "@vae/metrics";
import { paramCount } from "@vae/model";
import { DEFAULT_RUN_CONFIG, openRunDir, validateRunConfig } from "@vae/training";
import { Coordinator, type CoordinatorOptions } from "./coordinator.ts";

const config = validateRunConfig({ ...DEFAULT_RUN_CONFIG, model: { ...DEFAULT_RUN_CONFIG.model, hiddenSizes: [4], latentSize: 2, inputSize: 4 }, batchSize: 4 });
const P = paramCount(config.model);

interface FakeWorker {
  id: string;
  step: number;
  digest: string;
  sent: Record<string, any>[];
  /** Answers the coordinator like a healthy worker would, unless told otherwise. */
  auto: boolean;
}

/** `replyDelayMs`: how long a fake worker takes to answer (0: at once). */
function setup(opts: Partial<CoordinatorOptions> = {}, replyDelayMs = 0) {
  const runDir = openRunDir(join(mkdtempSync(join(tmpdir(), "vae-coord-")), "run"), config);
  const coordinator = new Coordinator(
    {
      config, runId: "run", trainCount: 40, testCount: 8, workers: 2, minWorkers: 1, maxSteps: 6,
      algorithm: "ring", compress: "none", checkpointEvery: 0, keepCheckpoints: 2, stepTimeoutMs: 2_000, digestEvery: 0, resume: false,
      ...opts,
    },
    runDir, pino({ level: "silent" }), createCoordinatorMetrics(),
  );
  const workers = new Map<string, FakeWorker>();
  const answer = (w: FakeWorker, m: Record<string, any>) => {
    const reply = (r: Record<string, unknown>) =>
      replyDelayMs > 0 ? setTimeout(() => coordinator.handleMessage(w.id, r), replyDelayMs) : queueMicrotask(() => coordinator.handleMessage(w.id, r));
    if (m.type === "generation") reply({ type: "ready", g: m.g, step: w.step, digest: w.digest });
    if (m.type === "requestState") reply({ type: "state", g: m.g, step: w.step, params: new Float32Array(P), adamM: new Float32Array(P), adamV: new Float32Array(P), adamT: w.step });
    if (m.type === "state") {
      w.step = m.step;
      w.digest = "synced";
      reply({ type: "ready", g: m.g, step: w.step, digest: w.digest });
    }
    if (m.type === "step") {
      w.step = m.step + 1;
      reply({ type: "stepDone", g: m.g, step: m.step, loss: { count: 4, total: 100 - m.step, reconstruction: 90, kl: 10 - m.step }, timings: { computeMs: 1, allreduceMs: 1, applyMs: 1 } });
    }
    if (m.type === "evaluate") reply({ type: "evaluation", g: m.g, step: m.step, epoch: m.epoch, count: 4, total: 400, reconstruction: 360, kl: 40 });
  };
  const join_ = (id: string, step = 0, digest = "init", auto = true) => {
    const w: FakeWorker = { id, step, digest, sent: [], auto };
    workers.set(id, w);
    coordinator.addWorker(
      { workerId: id, host: "h", pid: 1, backend: "cpu", peerHost: "127.0.0.1", peerPort: 1, metricsPort: null },
      { send: (m) => { w.sent.push(m); if (w.auto) answer(w, m); }, close: () => {}, refuse: () => {} },
    );
    return w;
  };
  return { coordinator, workers, join: join_, answer };
}

const types = (w: FakeWorker) => w.sent.map((m) => (m.type === "step" ? `step${m.step}` : m.type));

describe("Coordinator", () => {
  it("waits for --workers, then runs generation 1 and every step to --max-steps, with run-ahead inside an epoch", async () => {
    const { coordinator, join } = setup();
    const run = coordinator.run();
    const a = join("a");
    await new Promise((r) => setTimeout(r, 20));
    expect(coordinator.state).toBe("waiting");
    expect(a.sent).toEqual([]);
    const b = join("b");
    await run;
    expect(coordinator.committedStep).toBe(6);
    // 40 samples / B 4 = 10 steps per epoch: steps 0..5 run ahead one at a time; the run ends with `stop`.
    expect(types(a)).toEqual(["generation", "step0", "step1", "step2", "step3", "step4", "step5", "requestState", "stop"]);
    expect(a.sent[0]).toMatchObject({ g: 1, rank: 0, worldSize: 2 });
    expect(b.sent[0]).toMatchObject({ g: 1, rank: 1, worldSize: 2 });
    // Step 1 went out before step 0's replies were in: the first two sends happened back to back.
    expect(a.sent[1]).toMatchObject({ type: "step", step: 0 });
    expect(a.sent[2]).toMatchObject({ type: "step", step: 1 });
  });

  it("does not run ahead across an epoch end: evaluation sees the state of its boundary", async () => {
    const { coordinator, join } = setup({ trainCount: 12, maxSteps: 5 }); // 3 steps per epoch
    const run = coordinator.run();
    const a = join("a");
    join("b");
    await run;
    const t = types(a);
    expect(t.slice(0, 6)).toEqual(["generation", "step0", "step1", "step2", "evaluate", "step3"]);
    expect(coordinator.testHistory[0]).toMatchObject({ epoch: 0, step: 3, test: { total: 100 } });
  });

  it("takes the state from the worker with the highest step and sends it to the others", async () => {
    const { coordinator, join } = setup({ maxSteps: 9 });
    const run = coordinator.run();
    const ahead = join("ahead", 7, "seven");
    const behind = join("behind", 3, "three");
    await run;
    expect(types(ahead).slice(0, 2)).toEqual(["generation", "requestState"]);
    expect(types(behind).slice(0, 2)).toEqual(["generation", "state"]);
    expect(behind.sent[1]).toMatchObject({ type: "state", step: 7 });
    expect(types(behind)).toContain("step7");
    expect(types(behind)).not.toContain("step6");
    expect(coordinator.committedStep).toBe(9);
  });

  it("a worker lost mid-step breaks the generation; the survivor goes on alone, naming the loss", async () => {
    const { coordinator, join, answer } = setup({ maxSteps: 4, minWorkers: 1 });
    const run = coordinator.run();
    const a = join("a");
    const b = join("b", 0, "init", false);
    // b answers the generation but never the step: it dies during step 0.
    await new Promise((r) => setTimeout(r, 10));
    answer(b, b.sent[0]!);
    await new Promise((r) => setTimeout(r, 10));
    coordinator.removeWorker("b", "closed", "close code 1006");
    await run;
    expect(a.sent.filter((m) => m.type === "generation").map((m) => [m.g, m.worldSize])).toEqual([[1, 2], [2, 1]]);
    expect(coordinator.membership.events.find((e) => e.reason === "closed")).toMatchObject({ workerId: "b", rank: 1, generation: 1 });
    expect(coordinator.committedStep).toBe(4);
  });

  it("pauses below --min-workers instead of spinning, and resumes when one joins", async () => {
    const { coordinator, join } = setup({ maxSteps: 100, minWorkers: 2, workers: 2 }, 2); // 10 epochs of 10 steps
    const run = coordinator.run();
    join("a");
    join("b");
    await new Promise((r) => setTimeout(r, 30));
    coordinator.removeWorker("b", "heartbeat", "no pong");
    await new Promise((r) => setTimeout(r, 30));
    expect(coordinator.state).toBe("waiting");
    const paused = coordinator.committedStep;
    await new Promise((r) => setTimeout(r, 50));
    expect(coordinator.committedStep).toBe(paused);
    join("c", 0, "other");
    await run;
    expect(coordinator.committedStep).toBe(100);
  });
});
