import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { RateMeter, createLogProgress, createProgress, formatDuration, formatProgressLine, type ProgressState } from "./progress.ts";

const state = (globalStep: number): ProgressState => ({
  epoch: 2,
  epochs: 10,
  stepInEpoch: 5,
  stepsPerEpoch: 469,
  globalStep,
  totalSteps: 4690,
  loss: { total: 123.456, reconstruction: 100.1, kl: 23.356 },
  samplesPerSecond: 2048.4,
  etaSeconds: 125,
});

describe("progress", () => {
  it("formats durations by magnitude", () => {
    expect(formatDuration(42.4)).toBe("42s");
    expect(formatDuration(185)).toBe("3m05s");
    expect(formatDuration(3720)).toBe("1h02m");
    expect(formatDuration(NaN)).toBe("?");
  });

  it("says epoch, step, loss, rate and ETA on one line", () => {
    expect(formatProgressLine(state(474))).toBe("epoch 2/10 step 5/469 loss 123.46 (reconstruction 100.10, KL 23.36) 2048 samples/s ETA 2m05s");
  });

  it("prints plain lines (no bar escapes) when the stream is not a terminal, always including the last step", () => {
    let text = "";
    const stream = new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    const p = createProgress(stream);
    p.update(state(1));
    p.update(state(2)); // within the interval: silent
    p.line("epoch 1/10 test: ...");
    p.update(state(4690));
    p.stop();
    expect(text).not.toMatch(/\x1b\[/);
    expect(text.split("\n").filter(Boolean)).toEqual(["epoch 1/10 test: ...", formatProgressLine(state(4690))]);
  });

  it("on a terminal, prints a line above the bar at once and redraws the bar below it", () => {
    let text = "";
    const stream = new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    Object.assign(stream, { isTTY: true, columns: 100, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true });
    const p = createProgress(stream);
    p.update(state(474));
    text = "";
    p.line("epoch 1/10: test loss 100.00");
    // Synchronous: the line is out before line() returns, on a cleared line, and the bar follows it.
    const at = text.indexOf("epoch 1/10: test loss 100.00\n");
    expect(at).toBeGreaterThanOrEqual(0);
    expect(text.slice(0, at)).toMatch(/\x1b\[2K$/);
    expect(text.slice(at)).toMatch(/\n(\x1b\[1G)?epoch 2\/10 .* step 5\/469 loss 123\.46/);
    p.stop();
    text = "";
    p.line("after the bar");
    expect(text).toBe("after the bar\n");
  });

  it("as log records: progress fields at the plain lines' pace, and lines as records too", () => {
    const records: [Record<string, unknown>, string][] = [];
    const p = createLogProgress((fields, text) => records.push([fields, text]));
    p.update(state(1));
    p.update(state(2));
    p.line("checkpoint written");
    p.update(state(4690));
    p.stop();
    expect(records).toEqual([
      [{}, "checkpoint written"],
      [
        {
          progress: {
            epoch: 2, epochs: 10, stepInEpoch: 5, stepsPerEpoch: 469, globalStep: 4690, totalSteps: 4690,
            loss: 123.456, reconstruction: 100.1, kl: 23.356, samplesPerSecond: 2048.4, etaSeconds: 125,
          },
        },
        formatProgressLine(state(4690)),
      ],
    ]);
  });

  it("measures the rate and the ETA over recent steps", () => {
    const m = new RateMeter(2);
    expect(Number.isNaN(m.eta(10))).toBe(true);
    m.record(100, 10); // falls out of the window
    m.record(128, 0.5);
    m.record(128, 0.5);
    expect(m.samplesPerSecond).toBe(256);
    expect(m.eta(10)).toBe(5);
  });
});
