// The training progress display: a cli-progress bar on a terminal, plain
// periodic lines otherwise (logs, CI, pipes), with the same fields either way.
import cliProgress from "cli-progress";
import type { StepLosses } from "@vae/training";

/** How the display paces itself. */
export const PROGRESS_DEFAULTS = Object.freeze({
  /** Seconds between plain progress lines when stdout is not a terminal. */
  plainIntervalSeconds: 10,
  /** Redraws per second of the progress bar on a terminal. */
  barFps: 5,
});

export interface ProgressState {
  /** 1-based epoch of the step just applied. */
  epoch: number;
  epochs: number;
  /** Steps of this epoch done (1-based). */
  stepInEpoch: number;
  stepsPerEpoch: number;
  /** Global steps done, and the run's last global step. */
  globalStep: number;
  totalSteps: number;
  loss: StepLosses;
  samplesPerSecond: number;
  /** Seconds left, from the recent step rate. */
  etaSeconds: number;
}

export interface Progress {
  update(s: ProgressState): void;
  /** A line that must stay in the log (epoch summaries, checkpoints). */
  line(text: string): void;
  stop(): void;
}

/** "42s", "3m05s", "1h02m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function fields(s: ProgressState): Record<string, string> {
  return {
    epochs: `${s.epoch}/${s.epochs}`,
    steps: `${s.stepInEpoch}/${s.stepsPerEpoch}`,
    loss: s.loss.total.toFixed(2),
    rate: s.samplesPerSecond.toFixed(0),
    timeLeft: formatDuration(s.etaSeconds),
  };
}

export function formatProgressLine(s: ProgressState): string {
  const f = fields(s);
  return `epoch ${f.epochs} step ${f.steps} loss ${f.loss} (reconstruction ${s.loss.reconstruction.toFixed(2)}, KL ${s.loss.kl.toFixed(2)}) ${f.rate} samples/s ETA ${f.timeLeft}`;
}

class PlainProgress implements Progress {
  private lastPrinted = 0;
  constructor(
    private readonly write: (s: string) => void,
    private readonly intervalMs: number,
    /** How a progress state is reported; a plain line by default. */
    private readonly report: (s: ProgressState) => void = (s) => this.write(`${formatProgressLine(s)}\n`),
  ) {}

  update(s: ProgressState): void {
    const now = performance.now();
    const last = s.globalStep === s.totalSteps;
    if (this.lastPrinted !== 0 && now - this.lastPrinted < this.intervalMs && !last) return;
    if (this.lastPrinted === 0 && !last) {
      this.lastPrinted = now; // first line after one interval: the first steps' rate is noise
      return;
    }
    this.lastPrinted = now;
    this.report(s);
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  stop(): void {}
}

class BarProgress implements Progress {
  private readonly multi: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | null = null;
  private stopped = false;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.multi = new cliProgress.MultiBar(
      {
        stream,
        // Kept under 80 columns: cli-progress cuts the line at the terminal's width.
        format: "epoch {epochs} {bar} step {steps} loss {loss} {rate} samples/s ETA {timeLeft}",
        barsize: 16,
        hideCursor: true,
        clearOnComplete: false,
        gracefulExit: false, // train handles SIGINT itself (stop after the step, checkpoint)
        fps: PROGRESS_DEFAULTS.barFps,
        // cli-progress redraws only a changed bar, but printing a log line above
        // it clears its line: without this the bar vanishes until the next step.
        forceRedraw: true,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(s: ProgressState): void {
    if (this.bar === null) this.bar = this.multi.create(s.totalSteps, s.globalStep, fields(s));
    else this.bar.setTotal(s.totalSteps);
    this.bar.update(s.globalStep, fields(s));
  }

  /**
   * Prints `text` above the bar at once: cli-progress clears the bar's line,
   * writes the text and redraws the bar, so log lines never land inside it.
   */
  line(text: string): void {
    if (this.bar === null || this.stopped) this.stream.write(`${text}\n`);
    else {
      this.multi.log(`${text}\n`);
      this.multi.update();
    }
  }

  stop(): void {
    if (this.stopped) return; // a second stop would move the cursor up over the last line
    this.stopped = true;
    this.multi.stop();
  }
}

/** A bar when `stream` is a terminal, periodic lines otherwise. */
export function createProgress(stream: NodeJS.WriteStream = process.stdout): Progress {
  if (stream.isTTY) return new BarProgress(stream);
  return new PlainProgress((s) => stream.write(s), PROGRESS_DEFAULTS.plainIntervalSeconds * 1000);
}

/** The fields of a progress report, for structured logs. */
export function progressFields(s: ProgressState) {
  return {
    epoch: s.epoch, epochs: s.epochs, stepInEpoch: s.stepInEpoch, stepsPerEpoch: s.stepsPerEpoch, globalStep: s.globalStep, totalSteps: s.totalSteps,
    loss: s.loss.total, reconstruction: s.loss.reconstruction, kl: s.loss.kl, samplesPerSecond: s.samplesPerSecond, etaSeconds: Number.isFinite(s.etaSeconds) ? s.etaSeconds : null,
  };
}

/**
 * Progress as structured log records (for `--log-format json`): the same pace
 * as the plain lines, each one `log(fields, line)`; `line()` texts become
 * records too, so nothing but JSON reaches the output.
 */
export function createLogProgress(log: (fields: Record<string, unknown>, text: string) => void): Progress {
  return new PlainProgress(
    (s) => log({}, s.replace(/\n$/, "")),
    PROGRESS_DEFAULTS.plainIntervalSeconds * 1000,
    (s) => log({ progress: progressFields(s) }, formatProgressLine(s)),
  );
}

/** Samples per second and ETA over the last few steps (evaluation pauses excluded by the caller). */
export class RateMeter {
  private readonly times: number[] = [];
  private readonly samples: number[] = [];
  constructor(private readonly window = 50) {}

  /** Records one step of `samples` samples taking `seconds`. */
  record(samples: number, seconds: number): void {
    this.times.push(seconds);
    this.samples.push(samples);
    if (this.times.length > this.window) {
      this.times.shift();
      this.samples.shift();
    }
  }

  get samplesPerSecond(): number {
    const t = this.times.reduce((a, b) => a + b, 0);
    return t > 0 ? this.samples.reduce((a, b) => a + b, 0) / t : 0;
  }

  eta(stepsLeft: number): number {
    if (this.times.length === 0) return NaN;
    return (stepsLeft * this.times.reduce((a, b) => a + b, 0)) / this.times.length;
  }
}
