// The per-rank step-time breakdown: where each rank's share of a step went,
// averaged over the last few steps so the chart is steady. "wait" is what is
// left of the coordinator's step time after the rank's own compute, all-reduce
// and apply: messages in flight and the slowest rank. A straggler shows as the
// rank with the long compute bar while every other rank's all-reduce bar grows
// (the all-reduce waits for the slowest contribution).

export interface RankTimes {
  rank: number;
  workerId: string;
  computeMs: number;
  allreduceMs: number;
  applyMs: number;
  waitMs: number;
  /** Steps in the average. */
  steps: number;
}

interface StepRank {
  rank: number;
  workerId: string;
  computeMs: number;
  allreduceMs: number;
  applyMs: number;
}

/** Steps in the moving average. */
export const BREAKDOWN_WINDOW = 20;

export class RankBreakdown {
  private windows = new Map<number, { workerId: string; samples: Omit<RankTimes, "rank" | "workerId" | "steps">[] }>();
  private generation = -1;

  constructor(private readonly window = BREAKDOWN_WINDOW) {}

  /** One committed step: every rank's phases and the coordinator's duration of the step. */
  add(generation: number, durationMs: number, ranks: readonly StepRank[]): void {
    // Ranks are renumbered by a new generation: start over rather than mix workers.
    if (generation !== this.generation) {
      this.windows.clear();
      this.generation = generation;
    }
    for (const r of ranks) {
      let w = this.windows.get(r.rank);
      if (!w || w.workerId !== r.workerId) this.windows.set(r.rank, (w = { workerId: r.workerId, samples: [] }));
      const waitMs = Math.max(0, durationMs - r.computeMs - r.allreduceMs - r.applyMs);
      w.samples.push({ computeMs: r.computeMs, allreduceMs: r.allreduceMs, applyMs: r.applyMs, waitMs });
      if (w.samples.length > this.window) w.samples.shift();
    }
  }

  /** Mean phase times per rank, by rank. */
  means(): RankTimes[] {
    return [...this.windows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([rank, w]) => {
        const n = w.samples.length;
        const mean = (k: "computeMs" | "allreduceMs" | "applyMs" | "waitMs") => round(w.samples.reduce((s, x) => s + x[k], 0) / n);
        return { rank, workerId: w.workerId, computeMs: mean("computeMs"), allreduceMs: mean("allreduceMs"), applyMs: mean("applyMs"), waitMs: mean("waitMs"), steps: n };
      });
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
