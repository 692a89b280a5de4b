// Gradient compression as a codec wrapped around a link (cf. PyTorch's
// fp16_compress_hook): fp16 halves the bytes on the wire while every sum is
// still accumulated in fp32 by the algorithm.
import { decodeF16, encodeF16, roundThroughF16 } from "./fp16.ts";
import type { PeerLink, WireArray, WireLink } from "./peer-link.ts";
import type { HubLink } from "./star.ts";

export type Compression = "none" | "fp16";
export const COMPRESSIONS: readonly Compression[] = ["none", "fp16"];

/** How fp32 buffers are put on the wire and read back. */
export interface WireCodec {
  readonly kind: Compression;
  /** Bytes per element on the wire. */
  readonly bytesPerElement: 2 | 4;
  /** The wire form of `x`. For "none" this is `x` itself (the link copies it). */
  encode(x: Float32Array): WireArray;
  /** fp32 values of a wire payload; `from` names the sender in the error when the payload has the wrong kind. */
  decode(x: WireArray, from: string): Float32Array;
  /** Rounds in place to what a receiver decodes; absent when lossless. */
  readonly round?: (x: Float32Array) => void;
}

function mismatch(kind: Compression, x: WireArray, from: string): TypeError {
  const expected = kind === "fp16" ? "Uint16Array" : "Float32Array";
  return new TypeError(
    `${from} sent ${x.constructor.name} data, expected ${expected} for compression "${kind}": do the ranks disagree on --compress?`,
  );
}

const NONE: WireCodec = {
  kind: "none",
  bytesPerElement: 4,
  encode: (x) => x,
  decode(x, from) {
    if (!(x instanceof Float32Array)) throw mismatch("none", x, from);
    return x;
  },
};

const FP16: WireCodec = {
  kind: "fp16",
  bytesPerElement: 2,
  encode: (x) => encodeF16(x),
  decode(x, from) {
    if (!(x instanceof Uint16Array)) throw mismatch("fp16", x, from);
    return decodeF16(x);
  },
  round: roundThroughF16,
};

export function wireCodec(kind: Compression): WireCodec {
  switch (kind) {
    case "none":
      return NONE;
    case "fp16":
      return FP16;
    default:
      throw new RangeError(`unknown compression ${JSON.stringify(kind)}, expected one of ${COMPRESSIONS.join(", ")}`);
  }
}

/** The fp32 view of a transport link that sends `kind` on the wire. */
export function withCompression(link: WireLink, kind: Compression): PeerLink {
  const codec = wireCodec(kind);
  // fp16 is encoded into one reusable buffer while no other send is in flight:
  // the link is done with what it was given once its send resolves (PeerLink
  // contract), and a fresh allocation per chunk costs more than the encoding.
  let scratch: Uint16Array | null = null;
  let busy = false;
  const sendFp16 = async (to: number, data: Float32Array) => {
    if (busy) return link.send(to, encodeF16(data));
    if (scratch === null || scratch.length < data.length) scratch = new Uint16Array(data.length);
    busy = true;
    try {
      await link.send(to, encodeF16(data, scratch.subarray(0, data.length)));
    } finally {
      busy = false;
    }
  };
  const out: PeerLink = {
    rank: link.rank,
    worldSize: link.worldSize,
    send: kind === "fp16" ? sendFp16 : (to, data) => link.send(to, codec.encode(data)),
    recv: async (from) => codec.decode(await link.recv(from), `rank ${from}`),
  };
  if (codec.round) out.wireRound = codec.round;
  if (link.abort) out.abort = (reason) => link.abort?.(reason);
  return out;
}

/** The fp32 view of a hub link that sends `kind` on the wire. */
export function withHubCompression(hub: HubLink<WireArray>, kind: Compression): HubLink {
  const codec = wireCodec(kind);
  const out: HubLink = {
    rank: hub.rank,
    worldSize: hub.worldSize,
    send: (data) => hub.send(codec.encode(data)),
    recv: async () => codec.decode(await hub.recv(), "the hub"),
  };
  if (hub.abort) out.abort = (reason) => hub.abort?.(reason);
  return out;
}
