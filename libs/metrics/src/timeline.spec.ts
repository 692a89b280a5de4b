import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { COORDINATOR_PID, TIMELINE_PHASES, TimelineWriter, readTimeline } from "./timeline.ts";

const dir = mkdtempSync(join(tmpdir(), "vae-timeline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe("TimelineWriter", () => {
  it("writes a valid trace with a named lane and every phase for every rank", async () => {
    const path = join(dir, "run.json");
    const origin = 1_700_000_000_000;
    const tl = await TimelineWriter.open(path, { originMs: origin });
    const workers = ["w-a", "w-b", "w-c"];
    workers.forEach((id, rank) => tl.nameRank(rank, id));
    tl.generation(1, origin);
    for (let step = 0; step < 4; step++) {
      for (let rank = 0; rank < 3; rank++) {
        tl.step(rank, { step, generation: 1, startMs: origin + step * 10, waitMs: 0.5, computeMs: 3 + rank, allreduceMs: 2, applyMs: 0.25 });
      }
    }
    await tl.close();

    const trace = readTimeline(path);
    const events = trace.traceEvents;
    const names = events.filter((e) => e.ph === "M" && e.name === "process_name");
    expect(names.map((e) => [e.pid, e.args.name])).toEqual([
      [COORDINATOR_PID, "coordinator"],
      [1, "rank 0 (w-a)"],
      [2, "rank 1 (w-b)"],
      [3, "rank 2 (w-c)"],
    ]);
    for (let rank = 0; rank < 3; rank++) {
      const lane = events.filter((e) => e.ph === "X" && e.pid === rank + 1);
      expect(lane).toHaveLength(4 * TIMELINE_PHASES.length);
      expect(lane.slice(0, 4).map((e) => e.name)).toEqual([...TIMELINE_PHASES]);
    }
    // Microseconds, back to back: step 2 of rank 1 starts at 20 ms; compute after 0.5 ms of wait, for 4 ms.
    const compute = events.find((e) => e.ph === "X" && e.pid === 2 && e.name === "compute" && e.args.step === 2)!;
    expect([compute.ts, compute.dur]).toEqual([20_500, 4_000]);
    const allreduce = events.find((e) => e.ph === "X" && e.pid === 2 && e.name === "allreduce" && e.args.step === 2)!;
    expect(allreduce.ts).toBe(compute.ts! + compute.dur!);
    const gen = events.filter((e) => e.ph === "i");
    expect(gen).toEqual([{ ph: "i", s: "g", cat: "cluster", name: "generation 1", pid: 0, tid: 0, ts: 0, args: { generation: 1 } }]);
  });

  it("renames a lane when another worker takes the rank, and names lanes the caller forgot", async () => {
    const path = join(dir, "rename.json");
    const tl = await TimelineWriter.open(path, { originMs: 0 });
    tl.nameRank(0, "w-a");
    tl.nameRank(0, "w-a"); // unchanged: no new metadata
    tl.generation(2, 5, { reason: "leave" });
    tl.nameRank(0, "w-b");
    tl.phase(4, "compute", 6, 1);
    await tl.close();
    const events = readTimeline(path).traceEvents;
    const laneNames = events.filter((e) => e.name === "thread_name").map((e) => e.args.name);
    expect(laneNames).toEqual(["rank 0 (w-a)", "rank 0 (w-b)", "rank 4 (?)"]);
  });

  it("streams events to disk before close", async () => {
    const path = join(dir, "stream.json");
    const tl = await TimelineWriter.open(path, { originMs: 0 });
    for (let step = 0; step < 2000; step++) tl.step(0, { step, generation: 0, startMs: step, computeMs: 0.5, allreduceMs: 0.3, applyMs: 0.1 });
    await new Promise((r) => setTimeout(r, 50));
    const sizeBeforeClose = statSync(path).size;
    expect(sizeBeforeClose).toBeGreaterThan(100_000);
    await tl.close();
    expect(statSync(path).size).toBeGreaterThan(sizeBeforeClose);
    expect(readTimeline(path).traceEvents.length).toBe(2 + 3 + 6000);
  });

  it("refuses events after close and bad values, and fails to open where it cannot write", async () => {
    const tl = await TimelineWriter.open(join(dir, "closed.json"));
    expect(() => tl.phase(-1, "compute", 0, 1)).toThrow("timeline: rank must be an integer >= 0, got -1");
    expect(() => tl.phase(0, "apply", 0, Number.NaN)).toThrow(/apply duration of rank 0 .* got NaN/);
    await tl.close();
    await expect(tl.close()).resolves.toBeUndefined();
    expect(() => tl.generation(3, 0)).toThrow(/is closed; event generation 3 dropped/);
    await expect(TimelineWriter.open(join(dir, "missing", "x.json"))).rejects.toThrow(/timeline: cannot open .*missing.*ENOENT/);
  });
});
