// What an all-reduce algorithm sees of its peers: a rank, a world size and
// ordered point-to-point messages of typed arrays. Transports (the in-memory
// mesh in ./testing, the WebSocket link in @vae/protocol) implement it; the
// algorithms in this library never see sockets, timers or tfjs.

/** What travels on a link: fp32 values, or fp16 bit patterns when compressed. */
export type WireArray = Float32Array | Uint16Array;

/**
 * Ordered point-to-point messages between the ranks of one collective.
 *
 * `T` is what the link carries. Algorithms take a `PeerLink` (fp32 only);
 * transports implement `WireLink` (fp32 or fp16) and are turned into a
 * `PeerLink` by `withCompression(link, kind)`, which also checks that both ends
 * agree on the compression.
 */
export interface PeerLink<T extends WireArray = Float32Array> {
  readonly rank: number;
  readonly worldSize: number;
  /**
   * Sends `data` to rank `to`. May resolve once the message is queued; after
   * it resolves the link must not read `data` again unless it copied it (the
   * caller overwrites that memory later in the collective).
   */
  send(to: number, data: T): Promise<void>;
  /**
   * The next message from rank `from`, in send order. Rejects with
   * `PeerLostError` once the link to that peer is gone.
   */
  recv(from: number): Promise<T>;
  /**
   * Rounds `data` in place to exactly the values a receiver of `send(data)`
   * gets. Absent on a lossless link. See Note [Bitwise identical results].
   */
  wireRound?(data: Float32Array): void;
  /**
   * Tears the link down after a failed collective, so that every peer waiting
   * on this rank fails fast too instead of hanging. Idempotent.
   */
  abort?(reason: Error): void;
}

/** A link as transports implement it: it may carry fp32 or fp16 payloads. */
export type WireLink = PeerLink<WireArray>;

/** The peer number that stands for the hub (the coordinator) in star mode. */
export const HUB_PEER = -1;

/** The link to `peer` is gone: it closed, stopped answering, or the collective was aborted because of it. */
export class PeerLostError extends Error {
  override readonly name = "PeerLostError";

  constructor(
    /** The rank whose loss broke the collective (`HUB_PEER` for the hub). */
    readonly peer: number,
    readonly reason: string,
  ) {
    super(`${peer === HUB_PEER ? "hub" : `peer rank ${peer}`} lost: ${reason}`);
  }
}

/** Throws a RangeError unless (rank, worldSize) describe a valid collective. */
export function checkTopology(rank: number, worldSize: number): void {
  if (!Number.isInteger(worldSize) || worldSize < 1) {
    throw new RangeError(`worldSize must be an integer >= 1, got ${worldSize}`);
  }
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new RangeError(`rank must be an integer in [0, ${worldSize}), got ${rank}`);
  }
}
