// A step timeline in Chrome's trace-event format (the JSON object form,
// `{"traceEvents": [...]}`), which Perfetto (https://ui.perfetto.dev) and
// chrome://tracing open directly. Spec: "Trace Event Format", Google, 2016.
//
// Layout: the coordinator is process 0 (generation changes and other cluster
// events as global instant events), rank r is process r + 1 with one thread,
// named "rank r (worker-id)". Each step of each rank is a row of complete
// events (`ph: "X"`): wait, compute, allreduce, apply. A straggler shows up as
// a long compute bar on its lane while the other lanes grow long allreduce bars.
//
// Events are streamed to the file as they come, so a long run never holds its
// timeline in memory; `close()` writes the closing brackets, which makes the
// file valid JSON. A file left by a crash lacks them; Perfetto still loads it.
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";

export const TIMELINE_PHASES = ["wait", "compute", "allreduce", "apply"] as const;
export type TimelinePhase = (typeof TIMELINE_PHASES)[number];

/** Process id of the coordinator's lane; rank r uses `r + 1`. */
export const COORDINATOR_PID = 0;

/** One step on one rank; phases run back to back from `startMs` in the order of TIMELINE_PHASES. */
export interface StepTiming {
  step: number;
  generation: number;
  /** Wall-clock start of the step (ms, same clock as the writer's origin, e.g. Date.now()). */
  startMs: number;
  waitMs?: number;
  computeMs: number;
  allreduceMs: number;
  applyMs: number;
}

export interface TimelineOptions {
  /** The instant that becomes ts 0, in ms on the caller's clock; defaults to Date.now() at open. */
  originMs?: number;
}

type TraceEvent = Record<string, unknown>;

/** One event of a written trace file, as a reader (a test, a tool) sees it. */
export interface TraceFileEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  s?: string;
  cat?: string;
  args: Record<string, any>;
}

/** Reads a trace file written by TimelineWriter. */
export function readTimeline(path: string): { displayTimeUnit: string; traceEvents: TraceFileEvent[] } {
  return JSON.parse(readFileSync(path, "utf8"));
}

export class TimelineWriter {
  private readonly laneNames = new Map<number, string>();
  private first = true;
  private failure: Error | null = null;
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly stream: WriteStream,
    readonly path: string,
    readonly originMs: number,
  ) {
    stream.on("error", (err) => (this.failure ??= err));
  }

  /** Creates (or truncates) `path` and writes the header; rejects if the file cannot be opened. */
  static async open(path: string, options: TimelineOptions = {}): Promise<TimelineWriter> {
    const stream = createWriteStream(path, { flags: "w" });
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", (err) => reject(new Error(`timeline: cannot open ${path}: ${err.message}`, { cause: err })));
    });
    const writer = new TimelineWriter(stream, path, options.originMs ?? Date.now());
    stream.write('{"displayTimeUnit":"ms","traceEvents":[\n');
    writer.emit({ ph: "M", name: "process_name", pid: COORDINATOR_PID, tid: 0, args: { name: "coordinator" } });
    writer.emit({ ph: "M", name: "process_sort_index", pid: COORDINATOR_PID, tid: 0, args: { sort_index: -1 } });
    return writer;
  }

  /** Names the lane of `rank` "rank r (workerId)"; a rank taken over by another worker is renamed. */
  nameRank(rank: number, workerId: string): void {
    checkRank(rank);
    const name = `rank ${rank} (${workerId})`;
    if (this.laneNames.get(rank) === name) return;
    this.laneNames.set(rank, name);
    const pid = rank + 1;
    this.emit({ ph: "M", name: "process_name", pid, tid: pid, args: { name } });
    this.emit({ ph: "M", name: "process_sort_index", pid, tid: pid, args: { sort_index: rank } });
    this.emit({ ph: "M", name: "thread_name", pid, tid: pid, args: { name } });
  }

  /** One phase of one step on one rank, as a complete event. */
  phase(rank: number, phase: TimelinePhase, startMs: number, durationMs: number, args: Record<string, unknown> = {}): void {
    checkRank(rank);
    if (!Number.isFinite(durationMs) || durationMs < 0) {
      throw new RangeError(`timeline: ${phase} duration of rank ${rank} must be a finite number >= 0 ms, got ${durationMs}`);
    }
    if (!this.laneNames.has(rank)) this.nameRank(rank, "?"); // every lane gets a name, even if the caller forgot
    const pid = rank + 1;
    this.emit({ ph: "X", cat: "step", name: phase, pid, tid: pid, ts: this.micros(startMs), dur: round3(durationMs * 1000), args });
  }

  /** The phases of one step, laid out back to back. */
  step(rank: number, t: StepTiming): void {
    const durations: Record<TimelinePhase, number> = {
      wait: t.waitMs ?? 0,
      compute: t.computeMs,
      allreduce: t.allreduceMs,
      apply: t.applyMs,
    };
    let at = t.startMs;
    for (const phase of TIMELINE_PHASES) {
      if (phase === "wait" && t.waitMs === undefined) continue;
      this.phase(rank, phase, at, durations[phase], { step: t.step, generation: t.generation });
      at += durations[phase];
    }
  }

  /** A cluster-wide instant event on the coordinator's lane, drawn across all lanes. */
  instant(name: string, atMs: number, args: Record<string, unknown> = {}): void {
    this.emit({ ph: "i", s: "g", cat: "cluster", name, pid: COORDINATOR_PID, tid: 0, ts: this.micros(atMs), args });
  }

  /** Marks the start of generation `g` (a membership change). */
  generation(g: number, atMs: number, args: Record<string, unknown> = {}): void {
    this.instant(`generation ${g}`, atMs, { generation: g, ...args });
  }

  /** Writes the closing brackets and flushes; later calls return the same promise. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve, reject) => {
      this.stream.end("\n]}\n", () => (this.failure ? reject(this.failure) : resolve()));
      this.stream.once("error", reject);
    });
    return this.closed;
  }

  private micros(ms: number): number {
    if (!Number.isFinite(ms)) throw new RangeError(`timeline: time must be finite ms, got ${ms}`);
    return round3((ms - this.originMs) * 1000);
  }

  private emit(event: TraceEvent): void {
    if (this.closed) throw new Error(`timeline: ${this.path} is closed; event ${String(event.name)} dropped`);
    if (this.failure) throw new Error(`timeline: writing ${this.path} failed: ${this.failure.message}`, { cause: this.failure });
    this.stream.write((this.first ? "" : ",\n") + JSON.stringify(event));
    this.first = false;
  }
}

function checkRank(rank: number): void {
  if (!Number.isInteger(rank) || rank < 0) throw new RangeError(`timeline: rank must be an integer >= 0, got ${rank}`);
}

/** Microsecond values to nanosecond precision: enough for the viewer, short in the file. */
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
