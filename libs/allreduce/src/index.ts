export {
  COMPRESSIONS,
  type Compression,
  type WireCodec,
  wireCodec,
  withCompression,
  withHubCompression,
} from "./compression.ts";
export { F16_MAX, decodeF16, encodeF16, f16FromF32Bits, f16ToNumber, firstNonFiniteF16, roundThroughF16 } from "./fp16.ts";
export { chunks, segments, type Span } from "./partition.ts";
export { HUB_PEER, PeerLostError, checkTopology, type PeerLink, type WireArray, type WireLink } from "./peer-link.ts";
export { DEFAULT_RING_CHUNK_ELEMENTS, ringAllReduce, type RingOptions } from "./ring.ts";
export { StarHub, starAllReduce, sumInRankOrder, type HubLink } from "./star.ts";
