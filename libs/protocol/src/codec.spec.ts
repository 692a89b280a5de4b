import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.ts";
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

  it("decodes typed arrays aligned and owning their memory, even from a misaligned frame", () => {
    const bytes = encode({ data: new Float32Array([1, 2, 3, 4]) });
    const misaligned = new Uint8Array(bytes.length + 1).subarray(1);
    misaligned.set(bytes);
    for (const frame of [bytes, misaligned]) {
      const { data } = decode(frame) as { data: Float32Array };
      expect(data).toBeInstanceOf(Float32Array);
      expect(data.byteOffset % 4).toBe(0);
      expect(data.byteLength).toBe(data.buffer.byteLength); // not a view into the frame
      expect([...data]).toEqual([1, 2, 3, 4]);
    }
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
