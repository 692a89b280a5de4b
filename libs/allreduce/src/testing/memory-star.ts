// An in-memory hub for star all-reduce tests: W hub links around one StarHub
// per round, with drop(rank) fault injection (every rank's pending and future
// operations reject naming the dropped rank, as the coordinator's abort does).
import { type Compression } from "../compression.ts";
import { PeerLostError, checkTopology, type WireArray } from "../peer-link.ts";
import { StarHub, type HubLink } from "../star.ts";

interface Waiter {
  resolve: (data: WireArray) => void;
  reject: (err: Error) => void;
}

export class MemoryStar {
  /** Bytes each rank sent up to the hub and received back (wire form). */
  readonly stats: { bytesUp: number[]; bytesDown: number[] };
  private hub: StarHub;
  private readonly inbox: WireArray[][];
  private readonly waiters: (Waiter | null)[];
  private error: Error | null = null;
  private readonly links: HubLink<WireArray>[];

  constructor(
    readonly worldSize: number,
    /** Elements per contribution. */
    readonly length: number,
    readonly compression: Compression = "none",
  ) {
    checkTopology(0, worldSize);
    this.hub = new StarHub(worldSize, length, compression);
    this.stats = { bytesUp: new Array(worldSize).fill(0), bytesDown: new Array(worldSize).fill(0) };
    this.inbox = Array.from({ length: worldSize }, () => []);
    this.waiters = new Array(worldSize).fill(null);
    this.links = Array.from({ length: worldSize }, (_, rank) => this.makeLink(rank));
  }

  link(rank: number): HubLink<WireArray> {
    checkTopology(rank, this.worldSize);
    return this.links[rank];
  }

  /** Rank `rank` vanishes: every rank's pending and future operations reject naming it. */
  drop(rank: number, reason = "dropped"): void {
    checkTopology(rank, this.worldSize);
    this.fail(new PeerLostError(rank, reason));
  }

  private fail(err: Error): void {
    this.error ??= err;
    this.waiters.forEach((w, r) => {
      this.waiters[r] = null;
      w?.reject(this.error!);
    });
  }

  private makeLink(rank: number): HubLink<WireArray> {
    return {
      rank,
      worldSize: this.worldSize,
      send: async (data) => {
        if (this.error) throw this.error;
        this.stats.bytesUp[rank] += data.byteLength;
        if (!this.hub.contribute(rank, data.slice())) return;
        const sum = this.hub.result();
        this.hub = new StarHub(this.worldSize, this.length, this.compression);
        for (let r = 0; r < this.worldSize; r++) {
          const copy = sum.slice();
          this.stats.bytesDown[r] += copy.byteLength;
          const w = this.waiters[r];
          this.waiters[r] = null;
          if (w) w.resolve(copy);
          else this.inbox[r].push(copy);
        }
      },
      recv: async () => {
        if (this.error) throw this.error;
        const head = this.inbox[rank].shift();
        if (head) return head;
        return new Promise<WireArray>((resolve, reject) => (this.waiters[rank] = { resolve, reject }));
      },
      abort: (reason) => this.fail(reason instanceof PeerLostError ? reason : new PeerLostError(rank, reason.message)),
    };
  }
}
