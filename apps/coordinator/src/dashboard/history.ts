// The training curves the dashboard draws, kept in bounded memory however long
// the run: when the buffer is full every other point is dropped and from then
// on only every 2nd (4th, 8th…) step is recorded, so the curve keeps its whole
// span at a coarser resolution. The last step of a run is always kept.

/** One committed step as the charts see it. */
export interface CurvePoint {
  step: number;
  total: number;
  reconstruction: number;
  kl: number;
  samplesPerSecond: number;
}

/** Columns, as uPlot wants them: one array per field, aligned by index. */
export interface CurveColumns {
  step: number[];
  total: number[];
  reconstruction: number[];
  kl: number[];
  samplesPerSecond: number[];
}

export const CURVE_FIELDS = ["step", "total", "reconstruction", "kl", "samplesPerSecond"] as const;

export class CurveHistory {
  private points: CurvePoint[] = [];
  /** Only steps divisible by this are recorded. */
  private stride = 1;

  constructor(readonly capacity = 4000) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`CurveHistory capacity must be an integer >= 2, got ${capacity}`);
  }

  get length(): number {
    return this.points.length;
  }

  /** Records `p` unless the current stride skips it; returns whether it was recorded. */
  add(p: CurvePoint, force = false): boolean {
    if (!force && p.step % this.stride !== 0) return false;
    this.points.push(p);
    if (this.points.length > this.capacity) {
      this.stride *= 2;
      this.points = this.points.filter((q, i) => q.step % this.stride === 0 || i === this.points.length - 1);
    }
    return true;
  }

  columns(): CurveColumns {
    return toColumns(this.points);
  }
}

export function toColumns(points: readonly CurvePoint[]): CurveColumns {
  const cols: CurveColumns = { step: [], total: [], reconstruction: [], kl: [], samplesPerSecond: [] };
  for (const p of points) for (const f of CURVE_FIELDS) cols[f].push(p[f]);
  return cols;
}
