// The coordinator's step cycle (DESIGN §3–4). One async loop drives the run:
//   a) wait until enough workers are members (--workers before the first step,
//      --min-workers afterwards); below that the state is "waiting";
//   b) start generation g+1: ranks 0..W-1 and the ring follow join order; every
//      member gets `generation`, aborts whatever it was doing and answers
//      `ready {step, digest}`;
//   c) pick the state source: the member with the highest applied step (or the
//      coordinator's own checkpoint state, when newer); members behind it are sent
//      its `state` and answer `ready` again (See Note [Which step survives]);
//   d) run steps: `step {g, s}` to every rank; each computes its share, all-reduces
//      with the others, applies, and answers `stepDone`. A step is committed when
//      every rank answered. A lost member, a `stepFailed` or the step deadline
//      breaks the generation: back to a). Workers that joined meanwhile wait for
//      the step boundary, then b);
//   e) at each epoch end the ranks evaluate the test set (rank 0 also renders the
//      sample grid); every --checkpoint-every steps rank 0's state is written.
//
// Note [Which step survives]
// A worker applies step s only after its all-reduce completed, and a completed
// all-reduce holds the full sum over every rank of the generation, so any
// replica's state is a correct prefix of the run. When a generation breaks
// mid-step some survivors may have applied s and others not: the highest step
// wins, and the laggards receive its state. The samples of a step depend only on
// (seed, epoch, step), so no sample is skipped or seen twice (DESIGN §4).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "@vae/logging";
import type { CoordinatorMetrics, CoordinatorState as CoordinatorStateName } from "@vae/metrics";
import { StarHub, type WireArray } from "@vae/allreduce";
import { findLatestValid, pruneCheckpoints, writeCheckpoint } from "@vae/checkpoint";
import { paramCount } from "@vae/model";
import { STATS_LENGTH, Schedule, fromCheckpoint, toCheckpoint, type ReplicaState, type RunConfig, type RunDir, type StepLosses } from "@vae/training";
import { Membership, type LossReason, type Member, type MemberInfo } from "./membership.ts";
import { DeadlineMissed, GenerationBroken, ReplyCollector } from "./reply-collector.ts";

export type CoordinatorState = CoordinatorStateName;

/** What the coordinator sends a worker; the transport encodes and frames it. */
export interface WorkerChannel {
  send(message: Record<string, unknown>): void;
  /** Closes the connection (terminate for a worker that stopped answering). */
  close(code: number, reason: string): void;
  /** Refuses the worker for good: an `error` it cannot retry past, then a close. */
  refuse(message: string): void;
}

export interface CoordinatorOptions {
  config: RunConfig;
  runId: string;
  trainCount: number;
  testCount: number;
  workers: number;
  minWorkers: number;
  maxSteps: number;
  algorithm: "ring" | "star";
  compress: "none" | "fp16";
  checkpointEvery: number;
  keepCheckpoints: number;
  stepTimeoutMs: number;
  /** Ask every rank for its parameter digest every N steps (and at the end). */
  digestEvery: number;
  resume: boolean;
}

interface ReadyReply {
  step: number;
  digest: string;
}

interface StepDoneReply {
  loss: StepLosses;
  timings: { computeMs: number; allreduceMs: number; applyMs: number };
  digest?: string;
}

interface EvaluationReply {
  count: number;
  total: number;
  reconstruction: number;
  kl: number;
  samplesPng?: Uint8Array;
  reconstructionsPng?: Uint8Array;
}

export interface EpochReport {
  epoch: number;
  step: number;
  test: StepLosses;
}

export interface StepReport {
  generation: number;
  step: number;
  epoch: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  loss: StepLosses;
  samplesPerSecond: number;
  durationMs: number;
  ranks: { rank: number; workerId: string; computeMs: number; allreduceMs: number; applyMs: number }[];
}

export interface CoordinatorEvents {
  onStep?(r: StepReport): void;
  onEpoch?(r: EpochReport): void;
  onGeneration?(g: number, members: Member[]): void;
  onState?(s: CoordinatorState): void;
  onSamples?(png: Uint8Array, epoch: number): void;
}

const LOSS_REASON_TEXT: Record<LossReason, string> = {
  leave: "left",
  closed: "connection closed",
  heartbeat: "heartbeat missed",
  deadline: "step deadline missed",
  rejected: "sent an invalid message",
  unreachable: "unreachable by its ring neighbours",
};

/** Consecutive failed ring setups in which a neighbour could not dial a worker, before it is evicted. */
const UNREACHABLE_STRIKES = 2;

export class Coordinator {
  readonly membership = new Membership();
  readonly schedule: Schedule;
  state: CoordinatorState = "waiting";
  /** Global steps committed (= the next step to run). */
  committedStep = 0;
  /** One past the last step steps.jsonl records (it survives coordinator restarts). */
  private historyNext = 0;
  lastLoss: StepLosses | null = null;
  lastTest: EpochReport | null = null;
  readonly testHistory: EpochReport[] = [];
  samplesPerSecond = 0;
  lastSamplesPng: Uint8Array | null = null;
  lastReconstructionsPng: Uint8Array | null = null;

  private readonly channels = new Map<string, WorkerChannel>();
  private readonly collectors = new Set<ReplyCollector<any>>();
  private stateCache: { state: ReplicaState; source: string } | null = null;
  private everStarted = false;
  private needGeneration = true;
  private stopReason: string | null = null;
  private wakeUp: (() => void) | null = null;
  private starHub: { step: number; hub: StarHub; ranks: Member[] } | null = null;
  private checkpointWrites: Promise<void> = Promise.resolve();
  /** Dispatched steps awaiting their replies, at most two; see Note [Run-ahead]. */
  private readonly inFlight = new Map<number, { g: number; replies: Promise<Map<string, StepDoneReply>>; sentAt: number }>();
  private lastCommitAt = 0;
  private readonly unreachableStrikes = new Map<string, number>();
  private readonly lastStep: number;
  private throughputWindow: { t: number; samples: number }[] = [];

  constructor(
    readonly opts: CoordinatorOptions,
    private readonly runDir: RunDir,
    private readonly log: Logger,
    private readonly metrics: CoordinatorMetrics,
    private readonly events: CoordinatorEvents = {},
  ) {
    this.schedule = new Schedule(opts.trainCount, opts.config.batchSize, opts.config.epochs);
    this.lastStep = opts.maxSteps > 0 ? Math.min(opts.maxSteps, this.schedule.totalSteps) : this.schedule.totalSteps;
  }

  get generation(): number {
    return this.membership.generation;
  }

  get targetSteps(): number {
    return this.lastStep;
  }

  // ---- membership events, called by the control server ----

  addWorker(info: MemberInfo, channel: WorkerChannel): void {
    this.membership.add(info);
    this.channels.set(info.workerId, channel);
    this.metrics.membershipChanges.inc({ reason: "join" });
    this.log.info({ workerId: info.workerId, host: info.host, backend: info.backend }, `worker ${info.workerId} joined from ${info.host} (backend ${info.backend}); ${this.membership.size} connected`);
    // A joiner enters at the next step boundary (see the loop); before the first
    // generation it may complete the quorum.
    if (this.state === "waiting") this.needGeneration = true;
    this.wake();
  }

  /** A worker is gone (left, closed, missed a heartbeat or a deadline). Safe to call twice. */
  removeWorker(workerId: string, reason: LossReason, detail = ""): void {
    if (this.state === "finished") {
      // The run is over and every worker was told to stop: a close now is a goodbye, not a loss.
      if (this.membership.remove(workerId, "leave", "run finished")) this.channels.delete(workerId);
      return;
    }
    const member = this.membership.remove(workerId, reason, detail || LOSS_REASON_TEXT[reason]);
    if (!member) return;
    const channel = this.channels.get(workerId);
    this.channels.delete(workerId);
    if (reason === "heartbeat" || reason === "deadline") channel?.close(1001, LOSS_REASON_TEXT[reason]);
    const mreason = reason === "rejected" ? "closed" : reason;
    this.metrics.membershipChanges.inc({ reason: mreason });
    const where = member.rank === null ? "not yet ranked" : `rank ${member.rank} of generation ${this.generation}`;
    this.log.warn({ workerId, rank: member.rank, host: member.host, reason }, `lost worker ${workerId} (${where}, host ${member.host}): ${LOSS_REASON_TEXT[reason]}${detail ? ` — ${detail}` : ""}`);
    if (member.rank !== null) this.breakGeneration(`worker ${workerId} (rank ${member.rank}, host ${member.host}) ${LOSS_REASON_TEXT[reason]}`);
    this.wake();
  }

  /** Routes a validated message from a member. Replies for other generations are dropped. */
  handleMessage(workerId: string, msg: Record<string, any>): void {
    const member = this.membership.get(workerId);
    if (!member) return;
    switch (msg.type) {
      case "leave":
        this.removeWorker(workerId, "leave", String(msg.reason ?? ""));
        return;
      case "reduce":
        this.onReduce(member, msg);
        return;
      case "stepFailed":
        if (msg.g === this.generation && member.rank !== null) {
          this.log.warn(`rank ${member.rank} (${workerId}) failed step ${msg.step}: ${msg.reason}`);
          if (typeof msg.unreachable === "number") this.strikeUnreachable(msg.unreachable, workerId);
          this.breakGeneration(`rank ${member.rank} failed step ${msg.step}: ${msg.reason}`);
        }
        return;
      default:
        for (const c of this.collectors) if (c.offer(workerId, msg.type, msg.g, msg.step ?? null, msg)) return;
        if (msg.g !== undefined && msg.g !== this.generation) this.metrics.rejectedMessages.inc({ reason: "VAE_ERR_STALE_GENERATION" });
    }
  }

  /**
   * A worker could not dial its ring successor. A worker that its neighbours fail to reach in
   * UNREACHABLE_STRIKES generations in a row (no step committed in between) advertises an address
   * nobody can use: it is refused with the reason, rather than stalling every generation.
   */
  private strikeUnreachable(rank: number, reporter: string): void {
    const target = this.membership.ranked().find((m) => m.rank === rank);
    if (!target) return;
    const strikes = (this.unreachableStrikes.get(target.workerId) ?? 0) + 1;
    this.unreachableStrikes.set(target.workerId, strikes);
    if (strikes < UNREACHABLE_STRIKES) return;
    const detail = `${reporter} could not connect to its peer address ${target.peerHost}:${target.peerPort} in ${strikes} generations in a row; start it with --advertise-host set to an address the other workers can reach`;
    this.channels.get(target.workerId)?.refuse(`refused: ${detail}`);
    this.removeWorker(target.workerId, "unreachable", detail);
  }

  requestStop(reason: string): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.log.info(`stopping: ${reason}`);
    this.wake();
  }

  // ---- the loop ----

  async run(): Promise<void> {
    await this.loadResumeState();
    while (this.stopReason === null && this.committedStep < this.lastStep) {
      const required = this.everStarted ? this.opts.minWorkers : this.opts.workers;
      if (this.membership.size < required) {
        this.setState("waiting");
        this.log.info(`waiting for workers: ${this.membership.size} of ${required} connected`);
        this.needGeneration = true;
        await this.sleepUntilWoken();
        continue;
      }
      const joinersWaiting = this.membership.list().some((m) => m.rank === null);
      if (this.needGeneration || joinersWaiting) {
        if (!(await this.startGeneration())) continue;
      }
      if (!(await this.runStep())) continue;
      await this.afterStep();
    }
    await this.finish();
  }

  private async startGeneration(): Promise<boolean> {
    this.setState("recovering");
    this.abortCollectors(new GenerationBroken("a new generation started"));
    this.inFlight.clear();
    this.starHub = null;
    const members = this.membership.nextGeneration();
    const g = this.generation;
    this.needGeneration = false;
    this.metrics.generation.set(g);
    this.metrics.workers.set(members.length);
    const roster = members.map((m) => ({ rank: m.rank!, workerId: m.workerId, host: m.host, peerHost: m.peerHost, peerPort: m.peerPort }));
    this.log.info(`generation ${g}: ${members.length} worker(s): ${members.map((m) => `${m.rank}=${m.workerId}@${m.host}`).join(" ")}`);
    this.events.onGeneration?.(g, members);
    for (const m of members) {
      this.send(m.workerId, {
        type: "generation", g, rank: m.rank, worldSize: members.length, members: roster, nextStep: this.committedStep,
        stateSource: null, algorithm: this.opts.algorithm, compress: this.opts.compress,
      });
    }
    try {
      const ready = await this.collect<ReadyReply>("ready", g, members, this.opts.stepTimeoutMs);
      await this.syncState(g, members, ready);
      this.everStarted = true;
      this.setState("training");
      return true;
    } catch (err) {
      this.onCollectiveFailure(err as Error);
      return false;
    }
  }

  /** Step c) of the cycle: bring every member to the newest state. */
  private async syncState(g: number, members: Member[], ready: Map<string, ReadyReply>): Promise<void> {
    let best: { workerId: string; step: number; digest: string } | null = null;
    for (const m of members) {
      const r = ready.get(m.workerId)!;
      if (!best || r.step > best.step) best = { workerId: m.workerId, step: r.step, digest: r.digest };
    }
    let state: ReplicaState | null = null;
    let sourceName: string;
    if (this.stateCache && this.stateCache.state.step > best!.step) {
      state = this.stateCache.state;
      sourceName = this.stateCache.source;
    } else {
      sourceName = `worker ${best!.workerId}`;
    }
    const targetStep = state ? state.step : best!.step;
    const behind = members.filter((m) => {
      const r = ready.get(m.workerId)!;
      return state !== null || r.step !== best!.step || r.digest !== best!.digest;
    });
    if (behind.length > 0) {
      if (!state) state = await this.fetchState(g, best!.workerId);
      this.log.info(`generation ${g}: sending state of step ${targetStep} from ${sourceName} to ${behind.map((m) => m.workerId).join(", ")}`);
      const epoch = Math.floor(state.step / this.schedule.stepsPerEpoch);
      for (const m of behind) this.send(m.workerId, { type: "state", g, epoch, ...stateFields(state) });
      const again = await this.collect<ReadyReply>("ready", g, behind, this.opts.stepTimeoutMs);
      for (const [id, r] of again) {
        if (r.step !== targetStep) throw new Error(`worker ${id} reports step ${r.step} after loading the state of step ${targetStep}`);
      }
    }
    if (targetStep > this.committedStep) {
      // Applied by the survivors before the generation broke (or before a coordinator restart): committed now.
      // See Note [Which step survives].
      this.log.info(`generation ${g}: step${targetStep - this.committedStep > 1 ? "s" : ""} ${this.committedStep}..${targetStep - 1} completed before the break; continuing at step ${targetStep}`);
    } else if (targetStep < this.committedStep) {
      // Every replica that held the newer steps is gone; the newest state left is older.
      this.log.warn(`generation ${g}: no live replica holds step ${this.committedStep}; rolling back to step ${targetStep} (${sourceName}) — steps ${targetStep}..${this.committedStep - 1} will be redone`);
    }
    this.committedStep = targetStep;
    this.syncHistory(targetStep, g);
  }

  /** Brings steps.jsonl to `nextStep`: recovered steps it lacks are added, a rollback is recorded. */
  private syncHistory(nextStep: number, g: number): void {
    if (nextStep > this.historyNext) {
      for (let s = this.historyNext; s < nextStep; s++) this.appendHistory({ step: s, generation: g, recovered: true });
    } else if (nextStep < this.historyNext) {
      this.appendHistory({ rolledBackTo: nextStep, from: this.historyNext, generation: g });
    }
    this.historyNext = nextStep;
  }

  private appendHistory(line: Record<string, unknown>): void {
    appendFileSync(join(this.runDir.root, "steps.jsonl"), JSON.stringify(line) + "\n");
  }

  private async fetchState(g: number, workerId: string): Promise<ReplicaState> {
    const member = this.membership.get(workerId);
    if (!member) throw new GenerationBroken(`state source ${workerId} is gone`);
    this.send(workerId, { type: "requestState", g });
    const replies = await this.collect<Record<string, any>>("state", g, [member], this.opts.stepTimeoutMs);
    const s = replies.get(workerId)!;
    return { step: s.step, params: s.params, adamM: s.adamM, adamV: s.adamV, adamT: s.adamT };
  }

  /** Step d): one global step. Returns false when the generation broke. */
  private async runStep(): Promise<boolean> {
    const g = this.generation;
    const members = this.membership.ranked();
    const at = this.schedule.locate(this.committedStep);
    if (this.inFlight.get(at.globalStep)?.g !== g) {
      this.inFlight.clear();
      this.dispatchStep(at.globalStep, g, members);
    }
    if (this.mayRunAhead(at.globalStep + 1) && !this.inFlight.has(at.globalStep + 1)) this.dispatchStep(at.globalStep + 1, g, members);
    const entry = this.inFlight.get(at.globalStep)!;
    let done: Map<string, StepDoneReply>;
    try {
      done = await entry.replies;
    } catch (err) {
      this.inFlight.clear();
      this.onCollectiveFailure(err as Error);
      return false;
    }
    this.inFlight.delete(at.globalStep);
    this.unreachableStrikes.clear(); // a committed step: the ring works
    const now0 = performance.now();
    // With run-ahead a step is dispatched before its predecessor commits: its own time starts at that commit.
    const durationMs = now0 - Math.max(entry.sentAt, this.lastCommitAt);
    this.lastCommitAt = now0;
    this.committedStep = at.globalStep + 1;
    const rank0 = done.get(members[0]!.workerId)!;
    this.checkAgreement(at.globalStep, members, done);
    this.recordCommit(at, g, members, done, durationMs);
    this.historyNext = this.committedStep;
    this.lastLoss = rank0.loss;
    const now = performance.now();
    this.throughputWindow.push({ t: now, samples: at.batchLength });
    while (this.throughputWindow.length > 1 && now - this.throughputWindow[0]!.t > 5_000) this.throughputWindow.shift();
    const span = (now - this.throughputWindow[0]!.t) / 1000;
    this.samplesPerSecond = span > 0 ? this.throughputWindow.slice(1).reduce((a, w) => a + w.samples, 0) / span : at.batchLength / (durationMs / 1000);
    for (const m of members) {
      const r = done.get(m.workerId)!;
      m.lastStep = at.globalStep;
      m.computeMs = r.timings.computeMs;
      m.allreduceMs = r.timings.allreduceMs;
    }
    this.recordStepMetrics(at.batchLength, at.epoch, durationMs);
    this.events.onStep?.({
      generation: g,
      step: at.globalStep, epoch: at.epoch, stepInEpoch: at.stepInEpoch, stepsPerEpoch: this.schedule.stepsPerEpoch, totalSteps: this.lastStep,
      loss: rank0.loss, samplesPerSecond: this.samplesPerSecond, durationMs,
      ranks: members.map((m) => ({ rank: m.rank!, workerId: m.workerId, ...done.get(m.workerId)!.timings })),
    });
    return true;
  }

  /** Sends `step` to every rank and starts collecting their `stepDone` at once (replies can beat the next await). */
  private dispatchStep(step: number, g: number, members: Member[]): void {
    const at = this.schedule.locate(step);
    const wantDigest = this.opts.digestEvery > 0 && ((step + 1) % this.opts.digestEvery === 0 || step + 1 === this.lastStep);
    if (this.opts.algorithm === "star") this.starHub = { step, hub: new StarHub(members.length, this.fusedLength(), this.opts.compress), ranks: members };
    const replies = this.collect<StepDoneReply>("stepDone", g, members, this.opts.stepTimeoutMs, step);
    replies.catch(() => {}); // a run-ahead step of a generation that broke is never awaited
    this.inFlight.set(step, { g, replies, sentAt: performance.now() });
    for (const m of members) this.send(m.workerId, { type: "step", g, step, epoch: at.epoch, stepInEpoch: at.stepInEpoch, wantDigest });
  }

  // Note [Run-ahead]
  // Step s+1 is sent while step s is still running, so each worker starts it the
  // moment it has applied s instead of idling for a round trip through the
  // coordinator (~8 ms of a 43 ms step on 2 cores). Workers handle messages in
  // order, so s+1 still runs on the state after s, and the all-reduce orders the
  // ranks anyway. Not across an epoch end (the evaluation must see the state of
  // its boundary), a checkpoint boundary, a pending membership change or a stop,
  // and not in star mode (the hub holds one round at a time). When a generation
  // breaks with s+1 in flight, the state sync sorts it out like any other step.
  private mayRunAhead(next: number): boolean {
    if (this.opts.algorithm === "star" || next >= this.lastStep || this.stopReason !== null || this.needGeneration) return false;
    if (this.schedule.locate(next - 1).stepInEpoch === this.schedule.stepsPerEpoch - 1) return false;
    if (this.opts.checkpointEvery > 0 && next % this.opts.checkpointEvery === 0) return false;
    return !this.membership.list().some((m) => m.rank === null);
  }

  /** Every rank applied the same all-reduced buffer, so losses (and digests, when asked) must agree bitwise. */
  private checkAgreement(step: number, members: Member[], done: Map<string, StepDoneReply>): void {
    const first = done.get(members[0]!.workerId)!;
    for (const m of members.slice(1)) {
      const r = done.get(m.workerId)!;
      if (r.loss.total !== first.loss.total) {
        this.log.error(`step ${step}: rank ${m.rank} reports loss ${r.loss.total}, rank 0 reports ${first.loss.total}: replicas disagree`);
      }
      if (first.digest !== undefined && r.digest !== first.digest) {
        this.log.error(`step ${step}: parameter digest of rank ${m.rank} (${m.workerId}) is ${r.digest}, rank 0 has ${first.digest}: replicas drifted; resynchronising`);
        this.needGeneration = true;
      }
    }
    if (first.digest !== undefined) this.lastDigest = { step, digest: first.digest, ranks: members.length };
  }

  /**
   * One JSON line per committed step in runs/<run>/steps.jsonl: the run's
   * history for plots and audits. Tests use it to compare with the
   * single-process reference and to check that every step is committed once.
   */
  private recordCommit(at: { globalStep: number; epoch: number; stepInEpoch: number; batchLength: number }, g: number, members: Member[], done: Map<string, StepDoneReply>, durationMs: number): void {
    const rank0 = done.get(members[0]!.workerId)!;
    const digests = members.map((m) => done.get(m.workerId)!.digest).filter((d): d is string => d !== undefined);
    const line = {
      step: at.globalStep,
      epoch: at.epoch,
      stepInEpoch: at.stepInEpoch,
      samples: at.batchLength,
      generation: g,
      committedAt: Date.now(),
      workers: members.map((m) => m.workerId),
      loss: { total: rank0.loss.total, reconstruction: rank0.loss.reconstruction, kl: rank0.loss.kl },
      durationMs: Math.round(durationMs * 1000) / 1000,
      timings: members.map((m) => done.get(m.workerId)!.timings),
      ...(digests.length > 0 ? { digests } : {}),
    };
    this.appendHistory(line);
  }

  lastDigest: { step: number; digest: string; ranks: number } | null = null;

  private recordStepMetrics(samples: number, epoch: number, durationMs: number): void {
    const m = this.metrics;
    m.stepsTotal.inc();
    m.samplesTotal.inc(samples);
    m.step.set(this.committedStep);
    m.epoch.set(epoch);
    m.stepDuration.observe(durationMs / 1000);
    m.samplesPerSecond.set(this.samplesPerSecond);
    if (this.lastLoss) {
      m.loss.set({ component: "total" }, this.lastLoss.total);
      m.loss.set({ component: "reconstruction" }, this.lastLoss.reconstruction);
      m.loss.set({ component: "kl" }, this.lastLoss.kl);
    }
  }

  /** Step e): evaluation at epoch ends, checkpoints every N steps. */
  private async afterStep(): Promise<void> {
    const at = this.schedule.locate(this.committedStep - 1);
    if (at.stepInEpoch === this.schedule.stepsPerEpoch - 1) await this.evaluate(at.epoch);
    if (this.opts.checkpointEvery > 0 && this.committedStep % this.opts.checkpointEvery === 0 && this.committedStep < this.lastStep) {
      await this.checkpoint("periodic");
    }
  }

  private async evaluate(epoch: number): Promise<void> {
    const g = this.generation;
    const members = this.membership.ranked();
    for (const m of members) this.send(m.workerId, { type: "evaluate", g, step: this.committedStep, epoch, samples: m.rank === 0 });
    try {
      const replies = await this.collect<EvaluationReply>("evaluation", g, members, this.opts.stepTimeoutMs * 4, this.committedStep);
      let count = 0, total = 0, reconstruction = 0, kl = 0;
      for (const r of replies.values()) {
        count += r.count;
        total += r.total;
        reconstruction += r.reconstruction;
        kl += r.kl;
      }
      const test = { total: total / count, reconstruction: reconstruction / count, kl: kl / count };
      const report = { epoch, step: this.committedStep, test };
      this.lastTest = report;
      this.testHistory.push(report);
      this.metrics.testLoss.set(test.total);
      this.log.info(`epoch ${epoch + 1}: test loss ${test.total.toFixed(2)} nats (reconstruction ${test.reconstruction.toFixed(2)}, KL ${test.kl.toFixed(2)}) over ${count} test images`);
      this.events.onEpoch?.(report);
      const figures = replies.get(members[0]!.workerId);
      if (figures?.reconstructionsPng) {
        this.lastReconstructionsPng = figures.reconstructionsPng;
        writeFileSync(join(this.runDir.samples, `reconstructions-epoch-${String(epoch + 1).padStart(3, "0")}.png`), figures.reconstructionsPng);
      }
      const png = figures?.samplesPng;
      if (png) {
        this.lastSamplesPng = png;
        writeFileSync(join(this.runDir.samples, `epoch-${String(epoch + 1).padStart(3, "0")}.png`), png);
        this.events.onSamples?.(png, epoch);
      }
    } catch (err) {
      if (err instanceof GenerationBroken || err instanceof DeadlineMissed) {
        this.log.warn(`epoch ${epoch + 1}: evaluation skipped: ${(err as Error).message}`);
        if (err instanceof DeadlineMissed) this.onCollectiveFailure(err);
      } else throw err;
    }
  }

  /** Fetches rank 0's state and writes it; the write runs in the background, one at a time. */
  private async checkpoint(why: string): Promise<void> {
    const members = this.membership.ranked();
    let state: ReplicaState | null = null;
    if (members.length > 0 && !this.needGeneration) {
      try {
        state = await this.fetchState(this.generation, members[0]!.workerId);
      } catch (err) {
        this.log.warn(`checkpoint (${why}): could not fetch state from rank 0: ${(err as Error).message}`);
        if (err instanceof DeadlineMissed) this.onCollectiveFailure(err);
      }
    }
    if (!state) return;
    this.stateCache = { state, source: `the state of step ${state.step} fetched for a checkpoint` };
    const epoch = this.schedule.locate(Math.max(0, Math.min(state.step, this.schedule.totalSteps) - 1)).epoch;
    const data = toCheckpoint(this.opts.config, state, epoch);
    (data as any).runId = this.opts.runId;
    this.checkpointWrites = this.checkpointWrites.then(async () => {
      try {
        const path = await writeCheckpoint(this.runDir.checkpoints, data);
        await pruneCheckpoints(this.runDir.checkpoints, this.opts.keepCheckpoints);
        this.metrics.checkpoints.inc();
        this.log.info(`checkpoint of step ${state!.step} written to ${path} (${why})`);
      } catch (err) {
        this.log.error(`checkpoint of step ${state!.step} failed: ${(err as Error).message}`);
      }
    });
  }

  private async loadResumeState(): Promise<void> {
    if (!this.opts.resume) return;
    this.historyNext = readHistoryNext(join(this.runDir.root, "steps.jsonl"));
    const found = await findLatestValid(this.runDir.checkpoints, (line) => this.log.warn(line));
    if (!found) {
      this.log.warn(`--resume: no valid checkpoint in ${this.runDir.checkpoints}; starting from step 0`);
      return;
    }
    const state = fromCheckpoint(found.data);
    this.stateCache = { state, source: `checkpoint ${found.path}` };
    this.committedStep = state.step;
    this.everStarted = false;
    this.log.info(`resuming from ${found.path} at step ${state.step}`);
  }

  private async finish(): Promise<void> {
    this.setState("stopping");
    this.abortCollectors(new GenerationBroken("the run is stopping"));
    if (this.membership.ranked().length > 0 && this.everStarted) {
      if (this.needGeneration && this.membership.size > 0) await this.startGeneration();
      await this.checkpoint("final");
    }
    await this.checkpointWrites;
    const reason = this.stopReason ?? `completed ${this.committedStep} steps`;
    for (const id of this.channels.keys()) this.send(id, { type: "stop", reason });
    this.setState("finished");
    this.log.info(`run ${this.opts.runId} finished at step ${this.committedStep}: ${reason}`);
  }

  // ---- star mode: the coordinator is the hub ----

  private onReduce(member: Member, msg: Record<string, any>): void {
    const round = this.starHub;
    if (!round || msg.g !== this.generation || msg.step !== round.step || member.rank === null) {
      this.metrics.rejectedMessages.inc({ reason: "VAE_ERR_STALE_GENERATION" });
      return;
    }
    const started = performance.now();
    this.metrics.allreduceBytes.inc({ direction: "received" }, (msg.data as WireArray).byteLength);
    if (!round.hub.contribute(member.rank, msg.data)) return;
    const sum = round.hub.result();
    for (const m of round.ranks) {
      this.send(m.workerId, { type: "reduced", g: msg.g, step: round.step, data: sum });
      this.metrics.allreduceBytes.inc({ direction: "sent" }, sum.byteLength);
    }
    this.metrics.allreduceDuration.observe({ algorithm: "star" }, (performance.now() - started) / 1000);
    this.starHub = null;
  }

  private fusedLength(): number {
    return fusedLengthFor(this.opts.config);
  }

  // ---- plumbing ----

  private collect<T>(type: string, g: number, members: Member[], deadlineMs: number, step: number | null = null): Promise<Map<string, T>> {
    const collector = new ReplyCollector<T>(type, g, new Set(members.map((m) => m.workerId)), deadlineMs, step);
    this.collectors.add(collector);
    return collector.promise.finally(() => this.collectors.delete(collector));
  }

  private abortCollectors(err: Error): void {
    for (const c of this.collectors) c.fail(err);
    this.collectors.clear();
  }

  private breakGeneration(why: string): void {
    this.needGeneration = true;
    this.abortCollectors(new GenerationBroken(`generation ${this.generation} broke: ${why}`));
    this.starHub = null;
  }

  /** A collective failed: a deadline names the members that did not answer, and they are removed. */
  private onCollectiveFailure(err: Error): void {
    this.needGeneration = true;
    if (err instanceof DeadlineMissed) {
      for (const id of err.missing) this.removeWorker(id, "deadline", err.message);
    } else if (!(err instanceof GenerationBroken)) {
      this.log.error(`generation ${this.generation}: ${err.message}`);
    }
  }

  private send(workerId: string, message: Record<string, unknown>): void {
    this.channels.get(workerId)?.send(message);
  }

  private setState(s: CoordinatorState): void {
    if (this.state === s) return;
    this.state = s;
    this.events.onState?.(s);
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private sleepUntilWoken(): Promise<void> {
    return new Promise((resolve) => (this.wakeUp = resolve));
  }

  /** Closes every worker connection (after `stop` was sent). */
  closeAll(): void {
    for (const c of this.channels.values()) c.close(1001, "coordinator stopping");
  }
}

/** One past the newest step a steps.jsonl (of an earlier coordinator process) ends at, rollbacks included. */
function readHistoryNext(path: string): number {
  if (!existsSync(path)) return 0;
  let next = 0;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { step?: number; rolledBackTo?: number };
      if (typeof entry.step === "number") next = entry.step + 1;
      else if (typeof entry.rolledBackTo === "number") next = entry.rolledBackTo;
    } catch {
      // A line cut short by a kill -9: the steps before it stand.
    }
  }
  return next;
}

function stateFields(s: ReplicaState): Record<string, unknown> {
  return { step: s.step, params: s.params, adamM: s.adamM, adamV: s.adamV, adamT: s.adamT };
}

function fusedLengthFor(config: RunConfig): number {
  return paramCount(config.model) + STATS_LENGTH;
}
