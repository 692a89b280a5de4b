// The only file that knows msgpackr. One msgpack value per WebSocket binary
// message.
//
// Note [Typed arrays on the wire]
// Plain msgpack has no typed arrays, and msgpackr by default turns a
// Float32Array into a byte Buffer. With `moreTypes` on both ends it writes an
// extension (type 0x74 "t": one byte naming the array type, then its bytes).
// msgpackr decodes that by copying into a fresh ArrayBuffer; we decode it as a
// view into the received frame when the bytes are suitably aligned there, and
// copy (which aligns) otherwise. A fresh allocation per gradient chunk is the
// dominant cost of receiving on this kind of host (page faults), so large
// messages are laid out to make the view possible: `v` first, then the big
// array, puts its bytes at offset 16 of the message (fixmap, "v", 1, "data",
// ext32 header, type byte = 1+2+1+5+6+1), and ws hands over a message that
// spans several socket reads as a buffer of its own, starting at offset 0.
// A view keeps the frame alive as long as the array lives; nothing reuses it.
//
// Note [Encode buffers]
// msgpackr grows its output buffer to 4× the largest message it has seen and
// then allocates that much again whenever it runs out; for megabyte gradients
// that means a fresh, page-faulting allocation of several times the message on
// most sends (measured: the biggest cost of a 16 MiB ring all-reduce). Large
// messages (those carrying ≥ 64 KiB of typed arrays) are therefore packed by a
// second Packr into a buffer leased from a small pool, which the socket hands
// back once the bytes are written (`encodeLeased`).
import { Packr, Unpackr, addExtension } from "msgpackr";
import { protocolError } from "./errors.ts";

const options = {
  moreTypes: true, // See Note [Typed arrays on the wire]
  useRecords: false, // plain msgpack maps: no msgpackr-only record extension on the wire
  mapsAsObjects: true,
  bundleStrings: false,
} as const;

// msgpackr's typed-array type codes (its `typedArrays` list); 16 and 17 are ArrayBuffer and DataView.
const TYPED_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];

// Replaces msgpackr's decoder of extension 0x74 (module-wide; this file is msgpackr's only user). See Note [Typed arrays on the wire].
addExtension({
  type: 0x74,
  unpack(data: Uint8Array) {
    const code = data[0];
    const Ctor = TYPED_ARRAYS[code];
    // Uint8Array's slice copies (Buffer's would not): a fresh, aligned ArrayBuffer.
    const copy = () => Uint8Array.prototype.slice.call(data, 1).buffer as ArrayBuffer;
    if (Ctor === undefined) {
      if (code === 16) return copy();
      if (code === 17) return new DataView(copy());
      throw new Error(`unknown typed array code ${code}`);
    }
    const bytes = data.length - 1;
    if (bytes % Ctor.BYTES_PER_ELEMENT !== 0) throw new Error(`${Ctor.name} of ${bytes} bytes is not a whole number of elements`);
    const offset = data.byteOffset + 1;
    if (offset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(data.buffer as ArrayBuffer, offset, bytes / Ctor.BYTES_PER_ELEMENT);
    return new Ctor(copy());
  },
} as Parameters<typeof addExtension>[0]);

const packr = new Packr(options); // small messages, msgpackr's own buffer management
// Large messages, always into a leased buffer; exact map headers keep the layout of Note [Typed arrays on the wire].
const largePackr = new Packr({ ...options, variableMapSize: true });
const unpackr = new Unpackr(options);

/**
 * Encodes one message. The returned bytes are a view into a buffer that later
 * encodes never overwrite, so they may be queued on a socket as they are.
 */
export function encode(message: object): Buffer {
  return packr.pack(message);
}

/** Encoded bytes whose memory goes back to the pool when `release()` is called (once they are written). */
export interface Leased {
  readonly bytes: Buffer;
  release(): void;
}

const LARGE_BYTES = 64 * 1024; // messages with less typed-array payload use msgpackr's own buffers
const POOL_MAX_BYTES = 64 * 1024 * 1024; // free memory the pool may keep
const pool: Buffer[] = [];
let pooledBytes = 0;
const noop = () => {};

/** Bytes of typed arrays among the top-level fields, a bound on the rest, and the field holding the largest array. */
function sizeHint(message: object): { typed: number; total: number; largest: string | null } {
  let typed = 0;
  let other = 1024;
  let largest: string | null = null;
  let largestBytes = -1;
  for (const [k, v] of Object.entries(message)) {
    if (ArrayBuffer.isView(v)) {
      typed += v.byteLength + 16;
      if (v.byteLength > largestBytes) [largest, largestBytes] = [k, v.byteLength];
    } else if (typeof v === "string") other += 3 * v.length + 8;
    else other += 64;
  }
  return { typed, total: typed + other, largest };
}

/** The same map with `v` first and the largest array second: see Note [Typed arrays on the wire]. */
function alignedLayout(message: object, largest: string): object {
  const m = message as Record<string, unknown>;
  return { v: m.v, [largest]: m[largest], ...m };
}

function lease(size: number): Buffer {
  let best = -1;
  for (let i = 0; i < pool.length; i++) {
    if (pool[i].length >= size && (best < 0 || pool[i].length < pool[best].length)) best = i;
  }
  if (best >= 0) {
    pooledBytes -= pool[best].length;
    return pool.splice(best, 1)[0];
  }
  return Buffer.allocUnsafeSlow(Math.max(128 * 1024, 2 ** Math.ceil(Math.log2(size))));
}

function giveBack(buf: Buffer): void {
  if (pooledBytes + buf.length > POOL_MAX_BYTES) return; // let the GC have it
  pool.push(buf);
  pooledBytes += buf.length;
}

/**
 * Encodes one message; large ones into pooled memory (See Note [Encode
 * buffers]). Call `release()` exactly once, when the bytes are no longer
 * needed (ws's send callback); until then they stay valid.
 */
export function encodeLeased(message: object): Leased {
  const hint = sizeHint(message);
  if (hint.typed < LARGE_BYTES) return { bytes: packr.pack(message), release: noop };
  const buf = lease(hint.total);
  largePackr.useBuffer(buf);
  const bytes = largePackr.pack("v" in message && hint.largest ? alignedLayout(message, hint.largest) : message);
  if (bytes.buffer !== buf.buffer) {
    giveBack(buf); // did not fit after all: msgpackr allocated its own
    return { bytes, release: noop };
  }
  let released = false;
  return {
    bytes,
    release: () => {
      if (released) return;
      released = true;
      giveBack(buf);
    },
  };
}

/**
 * Decodes one message; throws ProtocolError(VAE_ERR_MALFORMED) for anything
 * that is not exactly one msgpack value. Structural checks are the validator's.
 */
export function decode(bytes: Uint8Array): unknown {
  try {
    return unpackr.unpack(bytes);
  } catch (err) {
    throw protocolError("VAE_ERR_MALFORMED", `not a msgpack message (${bytes.length} bytes): ${(err as Error).message}`, {
      cause: err,
    });
  }
}
