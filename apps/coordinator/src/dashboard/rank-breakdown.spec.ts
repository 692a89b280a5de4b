import { describe, expect, it } from "vitest";
import { RankBreakdown } from "./rank-breakdown.ts";

describe("RankBreakdown", () => {
  it("averages each rank's phases over the window and derives wait from the step time", () => {
    const b = new RankBreakdown(2);
    b.add(1, 100, [
      { rank: 0, workerId: "a", computeMs: 20, allreduceMs: 60, applyMs: 5 },
      { rank: 1, workerId: "b", computeMs: 70, allreduceMs: 10, applyMs: 5 },
    ]);
    b.add(1, 120, [
      { rank: 0, workerId: "a", computeMs: 30, allreduceMs: 70, applyMs: 5 },
      { rank: 1, workerId: "b", computeMs: 90, allreduceMs: 10, applyMs: 5 },
    ]);
    b.add(1, 110, [
      { rank: 0, workerId: "a", computeMs: 40, allreduceMs: 60, applyMs: 5 },
      { rank: 1, workerId: "b", computeMs: 90, allreduceMs: 10, applyMs: 5 },
    ]);
    expect(b.means()).toEqual([
      { rank: 0, workerId: "a", computeMs: 35, allreduceMs: 65, applyMs: 5, waitMs: 10, steps: 2 },
      { rank: 1, workerId: "b", computeMs: 90, allreduceMs: 10, applyMs: 5, waitMs: 10, steps: 2 },
    ]);
  });

  it("starts over when a new generation renumbers the ranks, and never reports a negative wait", () => {
    const b = new RankBreakdown();
    b.add(1, 50, [
      { rank: 0, workerId: "a", computeMs: 10, allreduceMs: 10, applyMs: 1 },
      { rank: 1, workerId: "b", computeMs: 10, allreduceMs: 10, applyMs: 1 },
    ]);
    b.add(2, 10, [{ rank: 0, workerId: "b", computeMs: 12, allreduceMs: 0, applyMs: 1 }]);
    expect(b.means()).toEqual([{ rank: 0, workerId: "b", computeMs: 12, allreduceMs: 0, applyMs: 1, waitMs: 0, steps: 1 }]);
  });
});
