// What the dashboard pages are told, and when. The coordinator's events
// (step, epoch, generation, state, samples, membership) come in here; pages
// get a `snapshot` when they connect and then only changes:
//   progress    new curve points, the run's counters, the worker table and the
//               per-rank breakdown: at most every `flushMs` (steps can come by
//               the hundred per second on fast hardware; a page needs ~4 Hz)
//   state       the coordinator's state or generation changed
//   membership  a worker joined or was lost (with the updated worker table)
//   epoch       a test-set evaluation finished
//   samples     a new sample grid is at /samples.png
// Pending progress is always sent before any other event, so pages see events
// in the order they happened.
import type { MembershipEvent } from "../membership.ts";
import type { EpochReport, StepReport } from "../coordinator.ts";
import type { Status } from "../status.ts";
import { CurveHistory, toColumns, type CurvePoint } from "./history.ts";
import { RankBreakdown } from "./rank-breakdown.ts";
import type { EventStream } from "./event-stream.ts";

export const FEED_DEFAULTS = Object.freeze({
  flushMs: 250, // longest a committed step waits before pages hear of it
  curveCapacity: 4000, // points per curve kept for new pages (older ones are thinned)
});

/** The part of /api/status that changes every step. */
export function liveFields(s: Status) {
  return {
    state: s.state,
    generation: s.generation,
    step: s.step,
    totalSteps: s.totalSteps,
    epoch: s.epoch,
    epochs: s.epochs,
    stepsPerEpoch: s.stepsPerEpoch,
    samplesPerSecond: s.samplesPerSecond,
    loss: s.loss,
    workers: s.workers,
  };
}

export class DashboardFeed {
  private readonly curves: CurveHistory;
  private readonly breakdown = new RankBreakdown();
  private pending: CurvePoint[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastFlush = 0;
  private samplesEpoch: number | null = null;

  constructor(
    private readonly stream: EventStream,
    private readonly status: () => Status,
    private readonly opts = FEED_DEFAULTS,
  ) {
    this.curves = new CurveHistory(opts.curveCapacity);
  }

  /** Everything a page needs to draw itself from scratch. */
  snapshot() {
    return { ...this.status(), curves: this.curves.columns(), ranks: this.breakdown.means(), samplesEpoch: this.samplesEpoch };
  }

  onStep(r: StepReport): void {
    this.breakdown.add(r.generation, r.durationMs, r.ranks);
    const point = { step: r.step, total: round(r.loss.total), reconstruction: round(r.loss.reconstruction), kl: round(r.loss.kl), samplesPerSecond: round(r.samplesPerSecond) };
    if (this.curves.add(point, r.step + 1 === r.totalSteps)) this.pending.push(point);
    this.scheduleFlush();
  }

  onEpoch(r: EpochReport): void {
    this.send("epoch", r);
  }

  onSamples(epoch: number): void {
    this.samplesEpoch = epoch;
    this.send("samples", { epoch });
  }

  onState(): void {
    this.send("state", liveFields(this.status()));
  }

  onMembership(event: MembershipEvent): void {
    this.send("membership", { event, ...liveFields(this.status()) });
  }

  /** Sends what is pending and stops the timer (the run is over). */
  close(): void {
    this.flush();
  }

  private send(event: string, data: unknown): void {
    this.flush();
    this.stream.broadcast(event, data);
  }

  private scheduleFlush(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + this.opts.flushMs - performance.now());
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref();
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    this.lastFlush = performance.now();
    const points = toColumns(this.pending);
    this.pending = [];
    this.stream.broadcast("progress", { points, ranks: this.breakdown.means(), ...liveFields(this.status()) });
  }
}

/** Four decimals are more than a chart can show, and keep the events small. */
function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
