// The only file that knows msgpackr. One msgpack value per WebSocket binary
// message.
//
// Note [Typed arrays on the wire]
// Plain msgpack has no typed arrays, and msgpackr by default turns a
// Float32Array into a byte Buffer. With `moreTypes` on both ends it writes an
// extension (type 0x74 "t") holding the array type and its bytes, and decodes it
// by copying into a fresh ArrayBuffer, so a decoded Float32Array is always
// 4-byte aligned and owns its memory (it does not pin the received frame). The
// copy is one memcpy per message, measured negligible next to the socket.
import { Packr, Unpackr } from "msgpackr";
import { protocolError } from "./errors.ts";

const options = {
  moreTypes: true, // See Note [Typed arrays on the wire]
  useRecords: false, // plain msgpack maps: no msgpackr-only record extension on the wire
  mapsAsObjects: true,
  bundleStrings: false,
} as const;

const packr = new Packr(options);
const unpackr = new Unpackr(options);

/**
 * Encodes one message. The returned bytes are a view into a buffer that later
 * encodes never overwrite, so they may be queued on a socket as they are.
 */
export function encode(message: object): Buffer {
  return packr.pack(message);
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
