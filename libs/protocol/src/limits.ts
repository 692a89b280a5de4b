// Every size and time limit of the protocol, with its unit. Frame limits are
// enforced by ws before a frame is buffered (`maxPayload`); the finer limits by
// the validator before any array is used.

const KiB = 1024;
const MiB = 1024 * KiB;

/** The protocol version carried as `v` in every message. */
export const PROTOCOL_VERSION = 1;

/**
 * Most model parameters the protocol carries (elements). The default MLP VAE
 * (784-400-20) has 652,824, i.e. a 2.6 MB gradient; conv models are smaller.
 */
export const MAX_PARAMETERS = 5_000_000;

/**
 * Largest control-channel frame (bytes). The biggest control message is
 * `state`: params + Adam m + Adam v = 3 · 4 · MAX_PARAMETERS = 60 MB, plus a
 * few hundred bytes of header; 64 MiB leaves ~7 MB of headroom.
 */
export const CONTROL_MAX_PAYLOAD = 64 * MiB;

/** Most elements in one ring chunk (4 Mi fp32 = 16 MiB); the default chunk is 64 Ki elements. */
export const MAX_CHUNK_ELEMENTS = 4 * MiB;

/** Largest data-channel frame (bytes): one chunk of MAX_CHUNK_ELEMENTS fp32 plus header headroom. */
export const PEER_MAX_PAYLOAD = 4 * MAX_CHUNK_ELEMENTS + 64 * KiB;

/** Most ranks in a generation. */
export const MAX_MEMBERS = 256;

/** Largest sample-grid PNG a worker may send with its evaluation (bytes); a 64-image MNIST grid is ~30 KiB. */
export const MAX_PNG_BYTES = 4 * MiB;

/** Longest worker id (characters). */
export const MAX_ID_LENGTH = 128;
/** Longest host name (characters; DNS names have at most 253). */
export const MAX_HOST_LENGTH = 255;
/** Longest short label, e.g. a backend or dataset name (characters). */
export const MAX_LABEL_LENGTH = 128;
/** Longest free-text reason or error message (characters). */
export const MAX_REASON_LENGTH = 2048;
/** Largest free-form object (`config`, `expect.model`): total keys and array items, and nesting depth. */
export const MAX_OBJECT_ENTRIES = 1024;
export const MAX_OBJECT_DEPTH = 8;

/** Nonce and proof sizes of the challenge–response (bytes). */
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;

/** Time for a connection to complete its handshake (ms). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * WebSocket ping interval (ms) and how long without a pong a connection is
 * declared dead (ms). Pongs are answered by the event loop, so the timeout must
 * exceed the longest synchronous compute a worker does between awaits.
 */
export const HEARTBEAT_INTERVAL_MS = 2_000;
export const HEARTBEAT_TIMEOUT_MS = 10_000;

/** A send resolves at once while less than this is buffered on the socket (bytes); above it, once flushed. */
export const SEND_HIGH_WATER_MARK = 8 * MiB;

/** Messages a connection buffers for a reader that has not asked for them yet. */
export const MAX_QUEUED_MESSAGES = 4096;

/** After closing, how long the other side gets to answer the close frame before the socket is destroyed (ms). */
export const CLOSE_GRACE_MS = 1_000;
