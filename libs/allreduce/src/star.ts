// Star all-reduce: every rank sends its buffer to a hub (the coordinator in the
// real system), the hub sums the contributions in rank order and sends the same
// sum back to all. The simple baseline: the hub moves W·S bytes each way.
import { wireCodec, type Compression, type WireCodec } from "./compression.ts";
import { checkTopology, type WireArray } from "./peer-link.ts";

/** What a rank sees of the hub: its contribution goes up, the sum comes down. */
export interface HubLink<T extends WireArray = Float32Array> {
  readonly rank: number;
  readonly worldSize: number;
  /** Sends this rank's contribution; same retention rule as `PeerLink.send`. */
  send(data: T): Promise<void>;
  /** The reduced sum of the current round; rejects with `PeerLostError` when the round is aborted. */
  recv(): Promise<T>;
  /** Tears the link down after a failed collective. Idempotent. */
  abort?(reason: Error): void;
}

/** Sums `buf` over all ranks through the hub, in place. A no-op for one rank. */
export async function starAllReduce(buf: Float32Array, hub: HubLink): Promise<void> {
  checkTopology(hub.rank, hub.worldSize);
  if (hub.worldSize === 1) return;
  try {
    await hub.send(buf);
    const sum = await hub.recv();
    if (sum.length !== buf.length) {
      throw new RangeError(`star all-reduce: rank ${hub.rank} received ${sum.length} elements from the hub, expected ${buf.length}`);
    }
    buf.set(sum);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    hub.abort?.(error);
    throw error;
  }
}

/** Element-wise fp32 sum of `parts` taken in index order, so the result is a pure function of the parts. */
export function sumInRankOrder(parts: readonly Float32Array[], out?: Float32Array): Float32Array {
  if (parts.length === 0) throw new RangeError("sumInRankOrder: no parts");
  const n = parts[0].length;
  for (let r = 1; r < parts.length; r++) {
    if (parts[r].length !== n) throw new RangeError(`sumInRankOrder: part ${r} has ${parts[r].length} elements, part 0 has ${n}`);
  }
  const acc = out ?? new Float32Array(n);
  if (acc.length !== n) throw new RangeError(`sumInRankOrder: output has ${acc.length} elements, parts ${n}`);
  acc.set(parts[0]);
  for (let r = 1; r < parts.length; r++) {
    const p = parts[r];
    for (let i = 0; i < n; i++) acc[i] += p[i];
  }
  return acc;
}

/**
 * The hub's side of one star round: collects one contribution per rank (in any
 * arrival order), then yields the sum to send back to every rank. Create one
 * per step; it holds W buffers until the round completes.
 */
export class StarHub {
  private readonly parts: (Float32Array | undefined)[];
  private received = 0;
  private sum: WireArray | null = null;
  private readonly codec: WireCodec;

  constructor(
    readonly worldSize: number,
    /** Elements every contribution must have. */
    readonly length: number,
    readonly compression: Compression = "none",
  ) {
    checkTopology(0, worldSize);
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`StarHub: length must be an integer >= 0, got ${length}`);
    this.codec = wireCodec(compression);
    this.parts = new Array(worldSize).fill(undefined);
  }

  /**
   * Records rank `rank`'s contribution (as it came off the wire) and returns
   * whether the round is now complete. Throws on a rank out of range, a second
   * contribution, a wrong length or the wrong compression.
   */
  contribute(rank: number, data: WireArray): boolean {
    checkTopology(rank, this.worldSize);
    if (this.parts[rank] !== undefined) throw new Error(`StarHub: rank ${rank} contributed twice to one round`);
    if (data.length !== this.length) {
      throw new RangeError(`StarHub: rank ${rank} sent ${data.length} elements, expected ${this.length}`);
    }
    // Copy on "none": the caller may reuse the message buffer.
    const values = this.codec.decode(data, `rank ${rank}`);
    this.parts[rank] = values === data ? Float32Array.from(values) : values;
    this.received++;
    return this.complete;
  }

  get complete(): boolean {
    return this.received === this.worldSize;
  }

  /** Ranks that have not contributed yet, for a stall report. */
  missing(): number[] {
    const out: number[] = [];
    this.parts.forEach((p, r) => p === undefined && out.push(r));
    return out;
  }

  /** The sum in wire form, the same object for every rank. Throws while contributions are missing. */
  result(): WireArray {
    if (!this.complete) throw new Error(`StarHub: result() before every rank contributed; missing ranks ${this.missing().join(", ")}`);
    if (this.sum === null) {
      const sum = sumInRankOrder(this.parts as Float32Array[]);
      this.sum = this.codec.encode(sum);
    }
    return this.sum;
  }
}
