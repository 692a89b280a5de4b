import { describe, expect, it } from "vitest";
import { CurveHistory } from "./history.ts";

const point = (step: number) => ({ step, total: 100 - step / 100, reconstruction: 90, kl: 10, samplesPerSecond: 500 });

describe("CurveHistory", () => {
  it("keeps every step until full, then thins to every 2nd, 4th… step and never exceeds its capacity", () => {
    const h = new CurveHistory(10);
    for (let s = 0; s < 10; s++) expect(h.add(point(s))).toBe(true);
    expect(h.columns().step).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    h.add(point(10));
    expect(h.columns().step).toEqual([0, 2, 4, 6, 8, 10]);
    expect(h.add(point(11))).toBe(false);
    for (let s = 11; s < 1000; s++) {
      h.add(point(s));
      expect(h.length).toBeLessThanOrEqual(10);
    }
    const steps = h.columns().step;
    expect(steps[0]).toBe(0);
    expect(steps.at(-1)).toBeGreaterThan(800); // still spans the whole run (to within one stride)
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
  });

  it("records a forced point (the run's last step) whatever the stride", () => {
    const h = new CurveHistory(4);
    for (let s = 0; s < 9; s++) h.add(point(s));
    expect(h.add(point(9), true)).toBe(true);
    expect(h.columns().step.at(-1)).toBe(9);
  });

  it("returns aligned columns", () => {
    const h = new CurveHistory();
    h.add(point(0));
    h.add(point(1));
    const c = h.columns();
    expect(c).toEqual({ step: [0, 1], total: [100, 99.99], reconstruction: [90, 90], kl: [10, 10], samplesPerSecond: [500, 500] });
  });

  it("refuses a capacity below 2", () => {
    expect(() => new CurveHistory(1)).toThrow(/capacity must be an integer >= 2, got 1/);
  });
});
