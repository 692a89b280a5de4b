// Reader for the IDX format of LeCun's MNIST files (and Fashion-MNIST, EMNIST, ...):
//
//   bytes 0-1  0x00 0x00
//   byte  2    type code (0x08 unsigned byte; 0x09 signed byte, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64)
//   byte  3    number of dimensions d
//   then d big-endian uint32 sizes, then the data, row-major, nothing after it.
//
// Only unsigned bytes are supported: every image dataset we train on uses them.
// Files may be gzipped; that is recognised by the gzip magic 1f 8b, never by the name.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** A file that is not a well-formed unsigned-byte IDX file; `file` names it, `reason` says what is wrong. */
export class IdxError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = "IdxError";
  }
}

const TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};
const UBYTE = 0x08;
// Far above any real dataset (EMNIST has 4 dims at most); it stops a corrupt byte from
// making us read thousands of "dimensions".
const MAX_DIMS = 8;

/** Reads an IDX file, plain or gzipped, and checks its header against its length. */
export function readIdx(path: string): IdxArray {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new IdxError(path, `cannot read: ${(e as Error).message}`);
  }
  let bytes: Buffer = raw;
  const gzipped = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  if (gzipped) {
    try {
      bytes = gunzipSync(raw);
    } catch (e) {
      throw new IdxError(path, `corrupt gzip stream: ${(e as Error).message}`);
    }
  }
  return parseIdx(bytes, path, gzipped ? " after gunzip" : "");
}

/** Parses IDX bytes already in memory; `file` is only used in error messages. */
export function parseIdx(bytes: Uint8Array, file = "<buffer>", lengthNote = ""): IdxArray {
  if (bytes.length < 4) throw new IdxError(file, `truncated: ${bytes.length} bytes${lengthNote}, an IDX header needs at least 4`);
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const magicHex = `0x${magic.toString(16).padStart(8, "0")}`;
  const type = bytes[2]!;
  const ndims = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(type in TYPE_NAMES)) {
    throw new IdxError(file, `not an IDX file: magic ${magicHex}`);
  }
  if (type !== UBYTE) {
    throw new IdxError(file, `unsupported IDX type code 0x${type.toString(16).padStart(2, "0")} (${TYPE_NAMES[type]}); only 0x08 (unsigned byte) is supported`);
  }
  if (ndims < 1 || ndims > MAX_DIMS) {
    throw new IdxError(file, `bad number of dimensions ${ndims} in magic ${magicHex} (expected 1..${MAX_DIMS})`);
  }
  const header = 4 + 4 * ndims;
  if (bytes.length < header) {
    throw new IdxError(file, `truncated: ${bytes.length} bytes${lengthNote}, the header of ${ndims} dimensions needs ${header}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d; // a double: exact up to 2^53, so no overflow before the length check below
  }
  const expected = header + count;
  const shape = dims.join("x");
  if (bytes.length < expected) {
    throw new IdxError(file, `truncated: expected ${expected} bytes (${header}-byte header + ${shape} data), found ${bytes.length}${lengthNote}`);
  }
  if (bytes.length > expected) {
    throw new IdxError(file, `${bytes.length - expected} trailing bytes: expected ${expected} bytes (${header}-byte header + ${shape} data), found ${bytes.length}${lengthNote}`);
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + header, count) };
}

/** Serialises an unsigned-byte IDX array (for tests and for users preparing `idx:` datasets). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (dims.length < 1 || dims.length > MAX_DIMS) throw new RangeError(`encodeIdx: ${dims.length} dimensions (expected 1..${MAX_DIMS})`);
  if (data.length !== count) throw new RangeError(`encodeIdx: data has ${data.length} bytes, dims ${dims.join("x")} need ${count}`);
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}
