import { describe, expect, it } from "vitest";
import { decode, encode, encodeLeased } from "./codec.ts";
import { ProtocolError } from "./errors.ts";

describe("codec", () => {
  it("round-trips maps with typed arrays as typed arrays", () => {
    const msg = {
      v: 1,
      type: "x",
      f32: new Float32Array([1.5, -2, 3e-7]),
      u16: new Uint16Array([1, 65535]),
      u8: new Uint8Array([9, 8, 7]),
      s: "héllo",
      n: null,
      b: true,
      i: 2 ** 40,
      nested: { list: [1, "two", { three: 3 }] },
    };
    const out = decode(encode(msg)) as typeof msg;
    expect(out).toEqual(msg);
    expect(out.f32).toBeInstanceOf(Float32Array);
    expect(out.u16).toBeInstanceOf(Uint16Array);
    expect(out.u8).toBeInstanceOf(Uint8Array);
  });

  it("decodes typed arrays as valid aligned arrays, from aligned and misaligned frames alike", () => {
    const bytes = encode({ data: new Float32Array([1, 2, 3, 4]), h: new Uint16Array([5, 6, 7]) });
    for (let shift = 0; shift < 8; shift++) {
      const frame = new Uint8Array(bytes.length + shift).subarray(shift);
      frame.set(bytes);
      const { data, h } = decode(frame) as { data: Float32Array; h: Uint16Array };
      expect(data).toBeInstanceOf(Float32Array);
      expect(data.byteOffset % 4).toBe(0);
      expect(h.byteOffset % 2).toBe(0);
      expect([...data]).toEqual([1, 2, 3, 4]);
      expect([...h]).toEqual([5, 6, 7]);
    }
  });

  it("lays large messages out so the big array decodes as a view into the frame, without a copy", () => {
    const data = Float32Array.from({ length: 100_000 }, (_, i) => i);
    const leased = encodeLeased({ v: 1, type: "chunk", g: 123_456, step: 99_999, seq: 7, data });
    const frame = Buffer.from(leased.bytes); // a buffer of its own, as ws gives for a multi-read message
    leased.release();
    const out = decode(frame) as { data: Float32Array; g: number };
    expect(out.data.buffer).toBe(frame.buffer); // a view: no copy
    expect(out.data.byteOffset).toBe(16);
    expect(out.data).toEqual(data);
    expect(out.g).toBe(123_456);
  });

  it("reuses released encode buffers and never hands out one still leased", () => {
    const big = () => ({ v: 1, data: new Float32Array(50_000).fill(Math.random()) });
    const a = encodeLeased(big());
    const b = encodeLeased(big());
    expect(a.bytes.buffer).not.toBe(b.bytes.buffer);
    const aBuffer = a.bytes.buffer;
    a.release();
    a.release(); // idempotent
    const c = encodeLeased(big());
    expect(c.bytes.buffer).toBe(aBuffer);
    const d = encodeLeased(big());
    expect(d.bytes.buffer).not.toBe(aBuffer);
    for (const x of [b, c, d]) x.release();
  });

  it("never overwrites bytes it returned earlier", () => {
    const a = encode({ data: new Float32Array([1, 2]) });
    const copy = Buffer.from(a);
    for (let i = 0; i < 100; i++) encode({ data: new Float32Array(1000).fill(i) });
    expect(Buffer.compare(a, copy)).toBe(0);
  });

  it("turns garbage, truncation and trailing bytes into VAE_ERR_MALFORMED", () => {
    const good = encode({ a: 1 });
    for (const bad of [new Uint8Array([0x92, 0x01]), good.subarray(0, good.length - 1), Buffer.concat([good, Buffer.from([1])]), new Uint8Array()]) {
      const err = (() => {
        try {
          decode(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe("VAE_ERR_MALFORMED");
      expect((err as ProtocolError).closeCode).toBe(1003);
    }
  });
});
