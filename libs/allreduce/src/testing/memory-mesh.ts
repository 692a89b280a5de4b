// An in-memory transport for W ranks in one process, with fault injection, to
// test collectives without sockets. Messages are copied on send, as a wire
// would, and delivered in order per (sender, receiver) pair.
//
// Faults mirror what the real system does:
// - drop(r): rank r vanishes; as the coordinator's abort broadcast does, every
//   pending and future send/recv of every rank rejects with PeerLostError(r).
// - disconnect(a, b): the a–b connection breaks and, as with a socket close
//   event, both ends notice at once: every pending and future operation of a
//   rejects naming b, and of b naming a (a ring link is useless without either
//   neighbour). The other ranks learn of it when a and b abort.
// - link.abort(err) (called by an algorithm that failed): that rank leaves the
//   collective; its peers' operations towards it reject naming the rank that
//   caused the failure, so a fault spreads around a ring in one pass.
// - delay(spec): later messages arrive after a fixed or seeded-random delay.
import { Rng } from "@vae/random";
import { PeerLostError, checkTopology, type WireArray, type WireLink } from "../peer-link.ts";

/** Milliseconds per message: fixed, or uniform in [minMs, maxMs] from a seeded stream. */
export type DelaySpec = number | { minMs?: number; maxMs: number; seed: number };

interface Waiter {
  resolve: (data: WireArray) => void;
  reject: (err: Error) => void;
}

/** Messages from one rank to another: delivered (awaiting recv) and in flight (delayed). */
class Channel {
  readonly delivered: WireArray[] = [];
  waiter: Waiter | null = null;
  readonly inFlight: { at: number; data: WireArray }[] = [];
  lastAt = 0;
  timer: ReturnType<typeof setTimeout> | null = null;
}

export class MemoryMesh {
  /** Bytes and messages each rank has sent (wire form, i.e. after compression). */
  readonly stats: { bytesSent: number[]; messagesSent: number[] };
  private readonly channels: Channel[][]; // [from][to]
  private readonly pairErrors = new Map<string, Error>(); // "self>peer" → what self sees about peer
  private readonly linkErrors: (Error | null)[]; // what every operation of that rank rejects with
  private readonly aborted = new Set<number>();
  private readonly triggers: { n: number; fault: () => void }[] = [];
  private totalMessages = 0;
  private globalError: Error | null = null;
  private nextDelay: (() => number) | null = null;
  private readonly links: WireLink[];

  constructor(
    readonly worldSize: number,
    opts: { delay?: DelaySpec } = {},
  ) {
    checkTopology(0, worldSize);
    this.stats = { bytesSent: new Array(worldSize).fill(0), messagesSent: new Array(worldSize).fill(0) };
    this.channels = Array.from({ length: worldSize }, () => Array.from({ length: worldSize }, () => new Channel()));
    this.linkErrors = new Array(worldSize).fill(null);
    if (opts.delay !== undefined) this.delay(opts.delay);
    this.links = Array.from({ length: worldSize }, (_, rank) => this.makeLink(rank));
  }

  /** Rank `rank`'s link (the same object on every call). */
  link(rank: number): WireLink {
    checkTopology(rank, this.worldSize);
    return this.links[rank];
  }

  /** Rank `rank` vanishes: every rank's pending and future operations reject naming it. */
  drop(rank: number, reason = "dropped"): void {
    checkTopology(rank, this.worldSize);
    this.globalError ??= new PeerLostError(rank, reason);
    this.failWaiters();
  }

  /** Breaks the connection between ranks a and b only. */
  disconnect(a: number, b: number, reason = "disconnected"): void {
    checkTopology(a, this.worldSize);
    checkTopology(b, this.worldSize);
    if (a === b) throw new RangeError(`disconnect: a rank cannot disconnect from itself (${a})`);
    this.linkErrors[a] ??= new PeerLostError(b, reason);
    this.linkErrors[b] ??= new PeerLostError(a, reason);
    this.failWaiters();
  }

  /** Delays messages sent from now on (0 for none). Order per pair is kept. */
  delay(spec: DelaySpec): void {
    if (typeof spec === "number") {
      this.nextDelay = spec > 0 ? () => spec : null;
    } else {
      const rng = new Rng(spec.seed);
      const min = spec.minMs ?? 0;
      this.nextDelay = () => min + rng.nextFloat() * (spec.maxMs - min);
    }
  }

  /**
   * Runs `fault` (e.g. `() => mesh.drop(2)`) right after the `n`-th message of
   * the whole mesh is sent: a deterministic "mid-collective" moment.
   */
  afterMessages(n: number, fault: () => void): void {
    this.triggers.push({ n, fault });
  }

  /** Cancels delayed deliveries (call in test teardown so no timer outlives a test). */
  close(): void {
    for (const row of this.channels) {
      for (const ch of row) {
        if (ch.timer) clearTimeout(ch.timer);
        ch.timer = null;
        ch.inFlight.length = 0;
      }
    }
  }

  private errorFor(self: number, peer: number): Error | null {
    return this.globalError ?? this.linkErrors[self] ?? this.pairErrors.get(`${self}>${peer}`) ?? null;
  }

  private makeLink(rank: number): WireLink {
    const checkPeer = (peer: number, what: string) => {
      if (!Number.isInteger(peer) || peer < 0 || peer >= this.worldSize || peer === rank) {
        throw new RangeError(`rank ${rank} cannot ${what} rank ${peer} in a world of ${this.worldSize}`);
      }
    };
    return {
      rank,
      worldSize: this.worldSize,
      send: async (to, data) => {
        checkPeer(to, "send to");
        const err = this.errorFor(rank, to);
        if (err) throw err;
        const copy = data.slice();
        this.stats.bytesSent[rank] += copy.byteLength;
        this.stats.messagesSent[rank]++;
        const ch = this.channels[rank][to];
        const d = this.nextDelay?.() ?? 0;
        if (d <= 0 && ch.inFlight.length === 0) {
          this.deliver(ch, copy);
        } else {
          const at = Math.max(performance.now() + d, ch.lastAt);
          ch.lastAt = at;
          ch.inFlight.push({ at, data: copy });
          this.schedule(ch);
        }
        this.totalMessages++;
        for (const t of this.triggers.filter((t) => t.n === this.totalMessages)) t.fault();
      },
      recv: async (from) => {
        checkPeer(from, "receive from");
        const err = this.errorFor(rank, from);
        if (err) throw err;
        const ch = this.channels[from][rank];
        const head = ch.delivered.shift();
        if (head) return head;
        if (ch.waiter) throw new Error(`rank ${rank} has two concurrent recv(${from}) calls`);
        return new Promise((resolve, reject) => (ch.waiter = { resolve, reject }));
      },
      abort: (reason) => {
        if (this.aborted.has(rank)) return;
        this.aborted.add(rank);
        this.linkErrors[rank] ??= reason;
        const culprit = reason instanceof PeerLostError ? reason.peer : rank;
        for (let p = 0; p < this.worldSize; p++) {
          if (p === rank || this.pairErrors.has(`${p}>${rank}`)) continue;
          const named = culprit === p || culprit < 0 ? rank : culprit;
          this.pairErrors.set(`${p}>${rank}`, new PeerLostError(named, `rank ${rank} aborted: ${reason.message}`));
        }
        this.failWaiters();
      },
    };
  }

  private deliver(ch: Channel, data: WireArray): void {
    if (ch.waiter) {
      const w = ch.waiter;
      ch.waiter = null;
      w.resolve(data);
    } else {
      ch.delivered.push(data);
    }
  }

  private schedule(ch: Channel): void {
    if (ch.timer || ch.inFlight.length === 0) return;
    ch.timer = setTimeout(() => {
      ch.timer = null;
      const now = performance.now();
      while (ch.inFlight.length > 0 && ch.inFlight[0].at <= now + 0.5) this.deliver(ch, ch.inFlight.shift()!.data);
      this.schedule(ch);
    }, Math.max(0, ch.inFlight[0].at - performance.now()));
  }

  private failWaiters(): void {
    for (let from = 0; from < this.worldSize; from++) {
      for (let to = 0; to < this.worldSize; to++) {
        const ch = this.channels[from][to];
        const err = this.errorFor(to, from);
        if (!err) continue;
        if (ch.timer) clearTimeout(ch.timer);
        ch.timer = null;
        ch.inFlight.length = 0;
        if (ch.waiter) {
          const w = ch.waiter;
          ch.waiter = null;
          w.reject(err);
        }
      }
    }
  }
}
