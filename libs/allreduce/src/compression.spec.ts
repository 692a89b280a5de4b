import { describe, expect, it } from "vitest";
import { withCompression, wireCodec } from "./compression.ts";
import { decodeF16, encodeF16 } from "./fp16.ts";
import { MemoryMesh, within } from "./testing/index.ts";

describe("withCompression", () => {
  it("fp16: sends half the bytes, and every message arrives intact whether sends overlap or not", async () => {
    const mesh = new MemoryMesh(2, { delay: { maxMs: 2, seed: 1 } });
    const a = withCompression(mesh.link(0), "fp16");
    const b = withCompression(mesh.link(1), "fp16");
    const msgs = [new Float32Array([1, 2, 3]), new Float32Array([4.5, -6]), new Float32Array([7, 8, 9, 10])];
    await a.send(1, msgs[0]); // sequential
    await Promise.all([a.send(1, msgs[1]), a.send(1, msgs[2])]); // overlapping
    for (const m of msgs) expect([...(await within(b.recv(0), 1_000))]).toEqual([...m]);
    expect(mesh.stats.bytesSent[0]).toBe(2 * 9);
    mesh.close();
  });

  it("rounds exactly as the receiver decodes", () => {
    const x = new Float32Array([0.1, 1 / 3, 1e-7, 70000]);
    const rounded = x.slice();
    wireCodec("fp16").round!(rounded);
    expect([...rounded]).toEqual([...decodeF16(encodeF16(x))]);
    expect(wireCodec("none").round).toBeUndefined();
    expect(() => wireCodec("bf16" as never)).toThrow(/unknown compression "bf16", expected one of none, fp16/);
  });
});
