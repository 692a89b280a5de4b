import { describe, expect, it } from "vitest";
import { withHubCompression } from "./compression.ts";
import { encodeF16 } from "./fp16.ts";
import { PeerLostError } from "./peer-link.ts";
import { StarHub, starAllReduce, sumInRankOrder } from "./star.ts";
import { MemoryStar, randomInputs, settleWithin } from "./testing/index.ts";

describe("sumInRankOrder", () => {
  it("adds the parts left to right in fp32", () => {
    // 1 + 2^-24 rounds back to 1 in fp32, so the order is visible in the bits
    const parts = [new Float32Array([1]), new Float32Array([2 ** -24]), new Float32Array([2 ** -24])];
    expect(sumInRankOrder(parts)[0]).toBe(1);
    expect(sumInRankOrder([parts[1], parts[2], parts[0]])[0]).toBe(1 + 2 ** -23);
    expect(() => sumInRankOrder([new Float32Array(2), new Float32Array(3)])).toThrow(/part 1 has 3 elements, part 0 has 2/);
  });
});

describe("StarHub", () => {
  it("gives the rank-order sum whatever the arrival order, and reports missing ranks", () => {
    const inputs = randomInputs(4, 100, 5);
    const hub = new StarHub(4, 100);
    for (const r of [2, 0, 3]) expect(hub.contribute(r, inputs[r])).toBe(false);
    expect(hub.missing()).toEqual([1]);
    expect(() => hub.result()).toThrow(/missing ranks 1/);
    expect(hub.contribute(1, inputs[1])).toBe(true);
    expect([...(hub.result() as Float32Array)]).toEqual([...sumInRankOrder(inputs)]);
  });

  it("rejects duplicates, wrong lengths and the wrong compression", () => {
    const hub = new StarHub(2, 3, "fp16");
    expect(() => hub.contribute(0, new Float32Array(3))).toThrow(/rank 0 sent Float32Array data, expected Uint16Array/);
    expect(() => hub.contribute(0, new Uint16Array(4))).toThrow(/rank 0 sent 4 elements, expected 3/);
    expect(() => hub.contribute(2, new Uint16Array(3))).toThrow(/rank must be an integer in \[0, 2\), got 2/);
    hub.contribute(1, encodeF16(new Float32Array([1, 2, 3])));
    expect(() => hub.contribute(1, new Uint16Array(3))).toThrow(/rank 1 contributed twice/);
  });
});

describe("starAllReduce", () => {
  it("is a no-op for one rank", async () => {
    const star = new MemoryStar(1, 3);
    const x = new Float32Array([1, 2, 3]);
    await starAllReduce(x, withHubCompression(star.link(0), "none"));
    expect([...x]).toEqual([1, 2, 3]);
    expect(star.stats.bytesUp[0]).toBe(0);
  });

  it("gives every rank the rank-order sum; fp16 halves the bytes each way", async () => {
    for (const kind of ["none", "fp16"] as const) {
      const star = new MemoryStar(3, 1001, kind);
      const inputs = randomInputs(3, 1001, 6);
      const bufs = inputs.map((x) => x.slice());
      await settleWithin(bufs.map((b, r) => starAllReduce(b, withHubCompression(star.link(r), kind))), 2_000);
      if (kind === "none") expect([...bufs[1]]).toEqual([...sumInRankOrder(inputs)]);
      expect(star.stats.bytesUp[2]).toBe(1001 * (kind === "fp16" ? 2 : 4));
      expect(star.stats.bytesDown[0]).toBe(1001 * (kind === "fp16" ? 2 : 4));
    }
  });

  it("fails fast on every rank when one rank is dropped", async () => {
    const star = new MemoryStar(3, 10);
    const runs = [0, 1].map((r) => starAllReduce(new Float32Array(10), withHubCompression(star.link(r), "none")));
    star.drop(2, "missed its heartbeat");
    const rs = await settleWithin(runs, 1_000);
    for (const r of rs) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(PeerLostError);
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/peer rank 2 lost: missed its heartbeat/);
    }
  });
});
