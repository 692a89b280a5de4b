import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { IdxError, encodeIdx, readIdx } from "./idx.ts";

const dir = mkdtempSync(join(tmpdir(), "vae-idx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// 3 images of 2x4 with distinct bytes, so an off-by-one in the header length shows.
const dims = [3, 2, 4];
const data = Uint8Array.from({ length: 24 }, (_, i) => (i * 37 + 5) & 0xff);
const good = encodeIdx(dims, data);

function readError(path: string): IdxError {
  try {
    readIdx(path);
  } catch (e) {
    expect(e).toBeInstanceOf(IdxError);
    return e as IdxError;
  }
  throw new Error(`readIdx(${path}) did not throw`);
}

describe("readIdx", () => {
  it("reads a plain unsigned-byte file", () => {
    expect(Array.from(good.subarray(0, 4))).toEqual([0, 0, 8, 3]);
    const idx = readIdx(write("good", good));
    expect(idx.dims).toEqual(dims);
    expect(Array.from(idx.data)).toEqual(Array.from(data));
  });

  it("reads a gzipped file whatever its name", () => {
    const idx = readIdx(write("no-gz-suffix", gzipSync(good)));
    expect(idx.dims).toEqual(dims);
    expect(Array.from(idx.data)).toEqual(Array.from(data));
  });

  it("rejects a truncated file with the expected and found lengths", () => {
    const path = write("truncated", good.subarray(0, good.length - 5));
    const e = readError(path);
    expect(e.file).toBe(path);
    expect(e.message).toContain(path);
    expect(e.reason).toMatch(new RegExp(`truncated: expected ${good.length} bytes .*found ${good.length - 5}`));
  });

  it("rejects a truncated header and trailing bytes", () => {
    expect(readError(write("short-header", good.subarray(0, 9))).reason).toMatch(/truncated: 9 bytes.*needs 16/);
    const long = new Uint8Array(good.length + 3);
    long.set(good);
    expect(readError(write("trailing", long)).reason).toMatch(/3 trailing bytes/);
  });

  it("rejects a truncated gzip stream", () => {
    const gz = gzipSync(good);
    expect(readError(write("truncated.gz", gz.subarray(0, gz.length - 8))).reason).toMatch(/corrupt gzip stream/);
  });

  it("rejects a foreign file by its magic", () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    expect(readError(write("image.png", png)).reason).toBe("not an IDX file: magic 0x89504e47");
  });

  it("rejects other IDX type codes and zero dimensions", () => {
    const floats = good.slice();
    floats[2] = 0x0d;
    expect(readError(write("floats", floats)).reason).toMatch(/unsupported IDX type code 0x0d \(float32\)/);
    expect(readError(write("zero-dims", Uint8Array.from([0, 0, 8, 0, 1]))).reason).toMatch(/bad number of dimensions 0/);
  });

  it("rejects a header whose dims disagree with the length (wrong ndims)", () => {
    // The same bytes claiming 2 dimensions: the header is 4 bytes shorter and the data
    // length 3x2, so the file is far too long.
    const wrong = good.slice();
    wrong[3] = 2;
    expect(readError(write("wrong-ndims", wrong)).reason).toMatch(/trailing bytes: expected 18 bytes \(12-byte header \+ 3x2 data\)/);
  });

  it("names a missing file", () => {
    expect(readError(join(dir, "absent")).reason).toMatch(/cannot read: .*ENOENT/);
  });
});
