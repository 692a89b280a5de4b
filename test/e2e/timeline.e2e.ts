// `vae-coordinator --timeline FILE` on a live cluster: two spawned workers, one
// of which leaves half-way (so there are two generations), until --max-steps.
// The file must be a complete Chrome trace (JSON object form) that holds, for
// every committed step and every rank of that step's generation, the wait,
// compute, allreduce and apply phases back to back, agreeing with the phase
// times in steps.jsonl, plus one instant event per generation change.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readTimeline } from "@vae/metrics";
import { startCluster } from "./support/cluster.ts";
import { killAll, until } from "./support/processes.ts";

afterEach(killAll);

const MAX_STEPS = 40;
const PHASES = ["wait", "compute", "allreduce", "apply"];


describe("--timeline", () => {
  it("writes a Chrome trace with every rank's phases per step and the generation changes", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "vae-timeline-")), "timeline.json");
    const cluster = await startCluster(
      ["--workers", "2", "--min-workers", "1", "--spawn-workers", "2", "--backend", "wasm", "--train-limit", "512", "--test-limit", "100", "--batch-size", "32",
        "--max-steps", String(MAX_STEPS), "--checkpoint-every", "0", "--timeline", file],
      { deadlineMs: 200_000 },
    );
    await until(async () => (await cluster.status()).step >= 10, 90_000, "ten steps with two workers");
    const leaving = (await cluster.status()).workers.find((w: any) => w.rank === 1);
    process.kill(leaving.pid, "SIGTERM");
    expect(await cluster.proc.exited).toEqual({ code: 0, signal: null });

    const trace = readTimeline(file);
    expect(trace.displayTimeUnit).toBe("ms");
    const events = trace.traceEvents;
    for (const e of events) {
      expect(typeof e.ph).toBe("string");
      expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
      if (e.ph !== "M") expect(Number.isFinite(e.ts)).toBe(true);
      if (e.ph === "X") expect(e.dur).toBeGreaterThanOrEqual(0);
    }

    // The history of the run, as the coordinator committed it. A step the survivor applied while the
    // leaver's generation broke is recorded as recovered, with no timings: the timeline cannot show it.
    const history = cluster.steps().filter((s) => typeof s.step === "number");
    expect(history.map((s) => s.step)).toEqual([...Array(MAX_STEPS).keys()]);
    expect(history.filter((s) => s.recovered).length).toBeLessThanOrEqual(1);
    const steps = history.filter((s) => !s.recovered);
    const generations = [...new Set(steps.map((s) => s.generation))];
    expect(generations.length, "a worker left, so the run has at least two generations").toBeGreaterThanOrEqual(2);
    expect(steps[0].workers).toHaveLength(2);
    expect(steps.at(-1).workers).toHaveLength(1);

    // Lanes: the coordinator and one per rank that ever existed, named after its worker.
    const names = new Map(events.filter((e) => e.ph === "M" && e.name === "process_name").map((e) => [e.pid, e.args!.name as string]));
    expect(names.get(0)).toBe("coordinator");
    expect(names.get(1)).toMatch(/^rank 0 \(local-\d+-\d+\)$/);
    expect(names.get(2)).toMatch(/^rank 1 \(local-\d+-\d+\)$/);

    // Every step, every rank of its generation: the four phases, back to back, matching steps.jsonl.
    const phases = events.filter((e) => e.ph === "X" && e.cat === "step");
    for (const s of steps) {
      for (let rank = 0; rank < s.workers.length; rank++) {
        const own = phases.filter((e) => e.pid === rank + 1 && e.args!.step === s.step);
        expect(own.map((e) => e.name), `step ${s.step} rank ${rank}`).toEqual(PHASES);
        for (const e of own) expect(e.args!.generation).toBe(s.generation);
        for (let i = 1; i < own.length; i++) expect(own[i]!.ts).toBeCloseTo(own[i - 1]!.ts! + own[i - 1]!.dur!, 0);
        const t = s.timings[rank];
        expect(own[1]!.dur! / 1000).toBeCloseTo(t.computeMs, 1);
        expect(own[2]!.dur! / 1000).toBeCloseTo(t.allreduceMs, 1);
        expect(own[3]!.dur! / 1000).toBeCloseTo(t.applyMs, 1);
      }
      // No phases for ranks the generation did not have.
      expect(phases.filter((e) => e.pid > s.workers.length && e.args!.step === s.step)).toEqual([]);
    }
    expect(phases).toHaveLength(steps.reduce((n, s) => n + s.workers.length * PHASES.length, 0));

    // One global instant event per generation, in order, with its size.
    const marks = events.filter((e) => e.ph === "i" && e.cat === "cluster");
    const byGeneration = new Map(marks.map((e) => [e.args!.generation as number, e]));
    for (const g of generations) {
      const mark = byGeneration.get(g);
      expect(mark, `generation ${g} marked`).toBeDefined();
      expect(mark!.s).toBe("g");
      expect(mark!.args!.workers).toBe(steps.find((s) => s.generation === g).workers.length);
      // The mark precedes the generation's first step.
      const firstStep = phases.find((e) => e.args!.generation === g)!;
      expect(mark!.ts!).toBeLessThanOrEqual(firstStep.ts! + 1);
    }
    expect(marks.map((e) => e.args!.generation)).toEqual([...marks.map((e) => e.args!.generation)].sort((a, b) => a - b));
  });
});
