// Ring all-reduce (Patarasuk & Yuan 2009; the algorithm of Horovod and NCCL's
// ring): reduce-scatter then all-gather over a ring of W ranks. Each rank sends
// only to (rank+1)%W and receives only from (rank-1+W)%W, 2(W−1) segments of
// S/W bytes in all, i.e. 2(W−1)/W·S bytes for a buffer of S bytes, whatever W.
//
// Step k ∈ [0, 2W−2): rank r sends segment (r−k) mod W and receives segment
// (r−k−1) mod W. For k < W−1 (reduce-scatter) it adds what it receives; after
// step W−2 it owns segment (r+1) mod W fully reduced; for k ≥ W−1 (all-gather)
// it copies what it receives. The segment sent at step k is the one received at
// step k−1, so each chunk is forwarded as soon as it arrives: the ring is
// pipelined chunk by chunk, not step by step.
//
// Note [Bitwise identical results]
// Each segment is summed once, by its owner, in a fixed ring order; every other
// rank receives a copy of that sum. Copies are exact on a lossless link. With
// fp16 on the wire the receivers get fp16(sum), so the owner rounds its own copy
// through fp16 (`link.wireRound`) before forwarding it; re-encoding an fp16
// value is exact, so every rank ends with the same bits.
import { chunks, segments, type Span } from "./partition.ts";
import { checkTopology, type PeerLink } from "./peer-link.ts";

export interface RingOptions {
  /** Elements per message. Smaller pipelines better, larger has less per-message overhead. */
  chunkElements?: number;
}

/** 64 Ki elements = 256 KiB per message; see test/bench/allreduce.bench.ts for the measurement behind it. */
export const DEFAULT_RING_CHUNK_ELEMENTS = 1 << 16;

/**
 * Sums `buf` element-wise over all ranks of `link`, in place. Every rank must
 * call it with a buffer of the same length. Resolves when this rank holds the
 * full sum, which is bitwise identical on every rank. Rejects (and aborts the
 * link) when a peer is lost or sends something inconsistent.
 */
export async function ringAllReduce(buf: Float32Array, link: PeerLink, opts: RingOptions = {}): Promise<void> {
  const { rank, worldSize } = link;
  checkTopology(rank, worldSize);
  const chunkElements = opts.chunkElements ?? DEFAULT_RING_CHUNK_ELEMENTS;
  if (!Number.isInteger(chunkElements) || chunkElements < 1) {
    throw new RangeError(`chunkElements must be a positive integer, got ${chunkElements}`);
  }
  if (worldSize === 1) return;

  const next = (rank + 1) % worldSize;
  const prev = (rank - 1 + worldSize) % worldSize;
  const segs = segments(buf.length, worldSize);
  const steps = 2 * (worldSize - 1);
  const mod = (i: number) => ((i % worldSize) + worldSize) % worldSize;
  // recvChunks[k]: the chunks received at step k; the same chunks are sent at step k+1.
  const recvChunks: Span[][] = [];
  for (let k = 0; k < steps; k++) recvChunks.push(chunks(segs[mod(rank - k - 1)], chunkElements));
  const recvBase: number[] = [0];
  for (let k = 0; k < steps; k++) recvBase.push(recvBase[k] + recvChunks[k].length);

  const progress = new Progress();
  let failed = false;

  const sendLoop = async () => {
    for (let k = 0; k < steps; k++) {
      const sendChunks = k === 0 ? chunks(segs[rank], chunkElements) : recvChunks[k - 1];
      for (let c = 0; c < sendChunks.length; c++) {
        const wait = k > 0 ? progress.reach(recvBase[k - 1] + c + 1) : undefined;
        if (wait) await wait;
        if (failed) return;
        const view = buf.subarray(sendChunks[c].start, sendChunks[c].end);
        if (k === worldSize - 1) link.wireRound?.(view); // See Note [Bitwise identical results]
        await link.send(next, view);
      }
    }
  };

  const recvLoop = async () => {
    for (let k = 0; k < steps; k++) {
      const add = k < worldSize - 1;
      for (const { start, end } of recvChunks[k]) {
        const data = await link.recv(prev);
        if (failed) return;
        if (data.length !== end - start) {
          throw new RangeError(
            `ring all-reduce: rank ${rank} received ${data.length} elements from rank ${prev} at step ${k} ` +
              `for elements [${start}, ${end}), expected ${end - start}: do the ranks disagree on the buffer length (${buf.length} here) or chunkElements (${chunkElements} here)?`,
          );
        }
        if (add) {
          const dst = buf.subarray(start, end);
          for (let i = 0; i < dst.length; i++) dst[i] += data[i];
        } else {
          buf.set(data, start);
        }
        progress.advance();
      }
    }
  };

  try {
    await Promise.all([sendLoop(), recvLoop()]);
  } catch (err) {
    // Stop both loops from touching `buf` again and make every peer fail fast.
    failed = true;
    const error = err instanceof Error ? err : new Error(String(err));
    progress.fail(error);
    link.abort?.(error);
    throw error;
  }
}

/** A counter of completed receives that the send loop can wait on. */
class Progress {
  private done = 0;
  private waiter: { target: number; resolve: () => void; reject: (e: Error) => void } | null = null;
  private error: Error | null = null;

  reach(target: number): Promise<void> | void {
    if (this.error) throw this.error;
    if (this.done >= target) return;
    return new Promise((resolve, reject) => (this.waiter = { target, resolve, reject }));
  }

  advance(): void {
    this.done++;
    if (this.waiter && this.done >= this.waiter.target) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve();
    }
  }

  fail(error: Error): void {
    this.error = error;
    this.waiter?.reject(error);
    this.waiter = null;
  }
}
