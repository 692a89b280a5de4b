// One worker's replica and its part of each step (DESIGN §3). The control
// client hands it the coordinator's messages; it answers through `reply`.
//
// The step reads like the tfjs seam: compute the share's gradient sum → fused
// flat buffer → all-reduce with the generation's peers → apply → answer.
// Messages are handled one at a time in arrival order, except that a new
// `generation` first aborts the collective in flight, so a worker blocked on a
// lost peer is freed at once (See Note [Which step survives] in the coordinator).
import { appendFileSync } from "node:fs";
import { shardRange, type Dataset } from "@vae/data";
import type { Logger } from "@vae/logging";
import type { WorkerMetrics } from "@vae/metrics";
import {
  Replica,
  Schedule,
  applyReduced,
  computeShare,
  evaluateRange,
  fusedLength,
  loadRunDataset,
  renderReconstructionsPng,
  renderSamplesPng,
  validateRunConfig,
  type RunConfig,
} from "@vae/training";

export interface GenerationInfo {
  g: number;
  rank: number;
  worldSize: number;
  members: { rank: number; workerId: string; host: string; peerHost: string; peerPort: number }[];
  algorithm: "ring" | "star";
  compress: "none" | "fp16";
}

/** The all-reduce of one generation, over whatever transport the algorithm uses. */
export interface Collective {
  allReduce(buf: Float32Array, step: number): Promise<{ bytesSent: number; bytesReceived: number }>;
  /** Fails the collective in flight (and any later one) so nobody waits on a lost peer. */
  abort(reason: Error): void;
}

/** Builds a generation's collective; `signal` aborts a setup still waiting on a peer (a newer generation came). */
/** Thrown by a collective factory when this worker could not even connect to peer `peer` (its advertised address is wrong or blocked). */
export class UnreachablePeerError extends Error {
  override readonly name = "UnreachablePeerError";
  constructor(readonly peer: number, message: string) {
    super(message);
  }
}

export type CollectiveFactory = (gen: GenerationInfo, signal: AbortSignal) => Promise<Collective>;
export type Reply = (message: Record<string, unknown>) => void;

/** Phase timings of the last step, for metrics, the timeline and the coordinator's worker table. */
export interface StepTimings {
  computeMs: number;
  allreduceMs: number;
  applyMs: number;
}

export class WorkerNode {
  private replica: Replica | null = null;
  private dataset: Dataset | null = null;
  private config: RunConfig | null = null;
  private runId: string | null = null;
  private schedule: Schedule | null = null;
  private buffer: Float32Array | null = null;
  private gen: GenerationInfo | null = null;
  private collective: Collective | null = null;
  private queue: Promise<void> = Promise.resolve();
  /** Aborts the ring setup in progress; see handle(). */
  private setup: AbortController | null = null;
  private inStep = false;
  /** When this worker last answered `stepDone` (same generation): the gap to the next `step` is waiting on the others. */
  private lastDoneAt: { g: number; at: number } | null = null;
  /**
   * Audit log of the sample indices this worker contributed, per (generation, step, rank):
   * set VAE_RECORD_INDICES=<file>. Tests use it to prove every sample is used in exactly
   * one committed step however membership changed; operators can use it to audit a run.
   */
  private readonly indexLog = process.env.VAE_RECORD_INDICES || null;

  constructor(
    private readonly makeCollective: CollectiveFactory,
    private readonly reply: Reply,
    private readonly log: Logger,
    private readonly metrics: WorkerMetrics | null,
    private readonly onStepTimings?: (step: number, t: StepTimings) => void,
  ) {}

  get step(): number {
    return this.replica?.step ?? 0;
  }

  get busy(): boolean {
    return this.inStep;
  }

  get generation(): GenerationInfo | null {
    return this.gen;
  }

  /** The run's config from `welcome`: a new run resets the replica; the same run keeps it (coordinator restart). */
  setRun(runId: string, rawConfig: unknown, dataDirOverride?: string): void {
    const config = validateRunConfig(rawConfig);
    if (this.runId === runId && this.replica) return;
    this.replica?.dispose();
    this.config = config;
    this.runId = runId;
    const started = performance.now();
    this.dataset = loadRunDataset(config, dataDirOverride ?? config.dataDir);
    this.replica = new Replica(config);
    this.schedule = new Schedule(this.dataset.train.count, config.batchSize, config.epochs);
    this.buffer = new Float32Array(fusedLength(this.replica));
    this.log.info(`run ${runId}: ${config.dataset} (${this.dataset.train.count} train, ${this.dataset.test.count} test images) loaded in ${(performance.now() - started).toFixed(0)} ms; ${this.replica.size} parameters`);
  }

  /** Entry point for every message from the coordinator. */
  handle(msg: Record<string, any>): void {
    if (msg.type === "generation") {
      // Free a step — or a ring setup — blocked on a peer of an old generation before queueing:
      // that peer may be the very worker whose loss started this generation.
      const reason = new Error(`generation ${msg.g} replaced generation ${this.gen?.g}`);
      this.collective?.abort(reason);
      this.setup?.abort(reason);
    }
    this.queue = this.queue.then(() => this.dispatch(msg)).catch((err) => this.log.error(`handling ${msg.type}: ${(err as Error).stack ?? err}`));
  }

  /** Resolves once every queued message has been handled. */
  drain(): Promise<void> {
    return this.queue;
  }

  private async dispatch(msg: Record<string, any>): Promise<void> {
    if (msg.type !== "generation" && msg.g !== undefined && msg.g !== this.gen?.g) {
      this.metrics?.rejectedMessages.inc({ reason: "VAE_ERR_STALE_GENERATION" });
      return; // from a generation that is over
    }
    switch (msg.type) {
      case "generation":
        return this.onGeneration(msg as GenerationInfo & { type: string });
      case "requestState":
        return this.sendState(msg.g);
      case "state":
        return this.loadState(msg);
      case "step":
        return this.runStep(msg.g, msg.step, Boolean(msg.wantDigest));
      case "evaluate":
        return this.evaluate(msg.g, msg.step, msg.epoch, Boolean(msg.samples));
      default:
        this.log.warn(`ignoring unexpected message ${msg.type}`);
    }
  }

  private async onGeneration(info: GenerationInfo): Promise<void> {
    const replica = this.need();
    this.collective?.abort(new Error(`generation ${info.g} started`));
    this.collective = null;
    this.gen = info;
    this.log.info(`generation ${info.g}: rank ${info.rank} of ${info.worldSize} (${info.algorithm}${info.compress === "fp16" ? ", fp16" : ""}); at step ${replica.step}`);
    this.metrics?.generation.set(info.g);
    const setup = new AbortController();
    this.setup = setup;
    try {
      this.collective = await this.makeCollective(info, setup.signal);
    } catch (err) {
      // A neighbour could not be reached: say so (naming a successor we could not dial), and the
      // coordinator forms a new generation — or evicts a worker nobody can reach.
      const unreachable = err instanceof UnreachablePeerError ? { unreachable: err.peer } : {};
      if (this.gen === info) this.reply({ type: "stepFailed", g: info.g, step: replica.step, reason: `ring setup failed: ${(err as Error).message}`, ...unreachable });
      this.log.warn(`generation ${info.g}: ${(err as Error).message}`);
      return;
    } finally {
      if (this.setup === setup) this.setup = null;
    }
    if (this.gen !== info) return; // superseded while connecting
    this.reply({ type: "ready", g: info.g, step: replica.step, digest: replica.digest() });
  }

  private sendState(g: number): void {
    const s = this.need().exportState();
    this.reply({ type: "state", g, step: s.step, epoch: Math.floor(s.step / this.schedule!.stepsPerEpoch), params: s.params, adamM: s.adamM, adamV: s.adamV, adamT: s.adamT });
  }

  private loadState(msg: Record<string, any>): void {
    const replica = this.need();
    replica.loadState({ step: msg.step, params: msg.params, adamM: msg.adamM, adamV: msg.adamV, adamT: msg.adamT });
    this.log.info(`loaded the state of step ${msg.step} (digest ${replica.digest()})`);
    this.reply({ type: "ready", g: msg.g, step: replica.step, digest: replica.digest() });
  }

  private async runStep(g: number, step: number, wantDigest: boolean): Promise<void> {
    const replica = this.need();
    const gen = this.gen!;
    if (step !== replica.step) {
      this.reply({ type: "stepFailed", g, step, reason: `asked for step ${step} but this replica is at step ${replica.step}` });
      return;
    }
    const at = this.schedule!.locate(step);
    const buffer = this.buffer!;
    if (this.lastDoneAt?.g === g) this.metrics?.waitDuration.observe((performance.now() - this.lastDoneAt.at) / 1000);
    this.inStep = true;
    try {
      const t0 = performance.now();
      const indices = await computeShare(replica, this.dataset!.train, this.config!, at, gen.rank, gen.worldSize, buffer);
      if (this.indexLog) appendFileSync(this.indexLog, JSON.stringify({ g, step, rank: gen.rank, indices: Array.from(indices) }) + "\n");
      const t1 = performance.now();
      const bytes = await this.collective!.allReduce(buffer, step);
      const t2 = performance.now();
      if (this.gen !== gen) return; // aborted by a newer generation after the reduce completed: do not apply
      const loss = applyReduced(replica, buffer);
      const t3 = performance.now();
      const timings = { computeMs: t1 - t0, allreduceMs: t2 - t1, applyMs: t3 - t2 };
      this.recordMetrics(at.batchLength, timings, bytes);
      this.onStepTimings?.(step, timings);
      this.lastDoneAt = { g, at: performance.now() };
      this.reply({ type: "stepDone", g, step, loss: { count: at.batchLength, ...loss }, timings, ...(wantDigest ? { digest: replica.digest() } : {}) });
    } catch (err) {
      if (this.gen === gen) this.reply({ type: "stepFailed", g, step, reason: (err as Error).message });
      this.log.warn(`step ${step} of generation ${g} abandoned: ${(err as Error).message}`);
    } finally {
      this.inStep = false;
    }
  }

  private recordMetrics(batch: number, t: StepTimings, bytes: { bytesSent: number; bytesReceived: number }): void {
    const m = this.metrics;
    if (!m) return;
    const gen = this.gen!;
    m.stepsTotal.inc();
    m.samplesTotal.inc(batch);
    m.stepDuration.observe((t.computeMs + t.allreduceMs + t.applyMs) / 1000);
    m.computeDuration.observe(t.computeMs / 1000);
    m.applyDuration.observe(t.applyMs / 1000);
    m.recordAllreduce({
      algorithm: gen.algorithm,
      seconds: t.allreduceMs / 1000,
      bufferBytes: this.buffer!.byteLength,
      worldSize: gen.worldSize,
      bytesSent: bytes.bytesSent,
      bytesReceived: bytes.bytesReceived,
    });
  }

  private async evaluate(g: number, step: number, epoch: number, samples: boolean): Promise<void> {
    const replica = this.need();
    const gen = this.gen!;
    const test = this.dataset!.test;
    const { start, end } = shardRange(test.count, gen.rank, gen.worldSize);
    const sums = await evaluateRange(replica.model, test, this.config!.seed, this.config!.model.latentSize, start, end);
    const figures = samples
      ? { samplesPng: await renderSamplesPng(replica.model, this.config!, test.rows, test.cols), reconstructionsPng: await renderReconstructionsPng(replica.model, test) }
      : {};
    this.reply({ type: "evaluation", g, step, epoch, ...sums, ...figures });
  }

  private need(): Replica {
    if (!this.replica) throw new Error("no run config yet (welcome not received)");
    return this.replica;
  }

  /** Fails the collective in flight (the coordinator is gone, so the generation is over). */
  abortCollective(reason: Error): void {
    this.collective?.abort(reason);
  }

  dispose(): void {
    this.collective?.abort(new Error("worker stopping"));
    this.replica?.dispose();
  }
}
