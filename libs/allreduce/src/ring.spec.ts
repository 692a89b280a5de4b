import { afterEach, describe, expect, it } from "vitest";
import { withCompression, type Compression } from "./compression.ts";
import { segments } from "./partition.ts";
import { PeerLostError, type PeerLink, type WireLink } from "./peer-link.ts";
import { ringAllReduce } from "./ring.ts";
import { MemoryMesh, randomInputs, settleWithin, sumProblem } from "./testing/index.ts";

const U32 = 2 ** -24;
let mesh: MemoryMesh | null = null;
afterEach(() => mesh?.close());

function runRing(m: MemoryMesh, inputs: Float32Array[], compress: Compression = "none", chunkElements?: number) {
  const bufs = inputs.map((x) => x.slice());
  const runs = bufs.map((b, r) => ringAllReduce(b, withCompression(m.link(r), compress), { chunkElements }));
  return { bufs, runs };
}

describe("ringAllReduce", () => {
  it("is a no-op that sends nothing for one rank", async () => {
    mesh = new MemoryMesh(1);
    const x = new Float32Array([1, 2, 3]);
    await ringAllReduce(x, withCompression(mesh.link(0), "none"));
    expect([...x]).toEqual([1, 2, 3]);
    expect(mesh.stats.messagesSent[0]).toBe(0);
  });

  it("sums small buffers whose length is not a multiple of W, in small chunks", async () => {
    for (const [w, n, chunk] of [[3, 7, 1], [4, 2, 1], [5, 13, 2], [2, 1, 3]]) {
      mesh = new MemoryMesh(w);
      const inputs = randomInputs(w, n, 1);
      const { bufs, runs } = runRing(mesh, inputs, "none", chunk);
      await settleWithin(runs, 5_000).then((rs) => rs.forEach((r) => expect(r.status).toBe("fulfilled")));
      expect(sumProblem(inputs, bufs, w * U32)).toBeNull();
    }
  });

  it("sends 2(W−1)/W·S bytes per rank, only to its successor; fp16 halves them", async () => {
    const w = 5;
    const n = 10_007;
    for (const compress of ["none", "fp16"] as const) {
      mesh = new MemoryMesh(w);
      const targets: number[][] = Array.from({ length: w }, () => []);
      const spy = (link: WireLink): WireLink => ({
        ...link,
        send: (to, d) => (targets[link.rank].push(to), link.send(to, d)),
      });
      const inputs = randomInputs(w, n, 2);
      const runs = inputs.map((x, r) => ringAllReduce(x, withCompression(spy(mesh!.link(r)), compress), { chunkElements: 1000 }));
      await settleWithin(runs, 5_000);
      const bpe = compress === "fp16" ? 2 : 4;
      const segs = segments(n, w);
      for (let r = 0; r < w; r++) {
        // 2(W−1) segments: every segment but (r+1) in reduce-scatter's sends... computed from the ring schedule
        let elements = 0;
        for (let k = 0; k < 2 * (w - 1); k++) {
          const s = segs[(((r - k) % w) + w) % w];
          elements += s.end - s.start;
        }
        expect(mesh.stats.bytesSent[r]).toBe(elements * bpe);
        expect(Math.abs(mesh.stats.bytesSent[r] - (2 * (w - 1) * n * bpe) / w)).toBeLessThanOrEqual(2 * (w - 1) * bpe);
        expect(new Set(targets[r])).toEqual(new Set([(r + 1) % w]));
      }
    }
  });

  it("rejects on every rank when the ranks disagree on the buffer length", async () => {
    mesh = new MemoryMesh(3);
    const bufs = [new Float32Array(9), new Float32Array(9), new Float32Array(12)];
    const rs = await settleWithin(bufs.map((b, r) => ringAllReduce(b, withCompression(mesh!.link(r), "none"))), 2_000);
    for (const r of rs) expect(r.status).toBe("rejected");
    const messages = rs.map((r) => String((r as PromiseRejectedResult).reason));
    expect(messages.some((m) => /received \d+ elements from rank \d .* expected \d+.*buffer length/.test(m))).toBe(true);
  });

  it("rejects when the ranks disagree on the compression", async () => {
    mesh = new MemoryMesh(2);
    const runs = [0, 1].map((r) => ringAllReduce(new Float32Array(8), withCompression(mesh!.link(r), r === 0 ? "fp16" : "none")));
    const rs = await settleWithin(runs, 2_000);
    for (const r of rs) expect(r.status).toBe("rejected");
    expect(rs.map((r) => String((r as PromiseRejectedResult).reason)).join("\n")).toMatch(/disagree on --compress/);
  });

  it("fails fast on every rank when a peer is dropped mid-reduce, naming it", async () => {
    for (const w of [2, 3, 6]) {
      mesh = new MemoryMesh(w, { delay: { maxMs: 1, seed: w } });
      const { runs } = runRing(mesh, randomInputs(w, 50_000, 3), "none", 1000);
      const victim = w - 1;
      mesh.afterMessages(20 * w, () => mesh!.drop(victim, "SIGKILL")); // of 100·(W−1) messages in all
      const rs = await settleWithin(runs, 2_000, "ring after drop");
      for (const r of rs) {
        expect(r.status).toBe("rejected");
        const err = (r as PromiseRejectedResult).reason;
        expect(err).toBeInstanceOf(PeerLostError);
        expect(err.peer).toBe(victim);
        expect(err.message).toMatch(new RegExp(`peer rank ${victim} lost: SIGKILL`));
      }
      mesh.close();
    }
  });

  it("fails fast on every rank when one connection breaks, each end naming the other", async () => {
    const w = 4;
    mesh = new MemoryMesh(w, { delay: { maxMs: 1, seed: 9 } });
    const { runs } = runRing(mesh, randomInputs(w, 40_000, 4), "none", 500);
    mesh.afterMessages(100, () => mesh!.disconnect(1, 2, "cable cut")); // of 480 messages in all
    const rs = await settleWithin(runs, 2_000, "ring after disconnect");
    for (const r of rs) expect(r.status).toBe("rejected");
    const peerOf = (r: number) => ((rs[r] as PromiseRejectedResult).reason as PeerLostError).peer;
    expect(peerOf(1)).toBe(2);
    expect(peerOf(2)).toBe(1);
  });

  it("rejects a bad chunk size", async () => {
    const link: PeerLink = { rank: 0, worldSize: 2, send: async () => {}, recv: async () => new Float32Array() };
    await expect(ringAllReduce(new Float32Array(4), link, { chunkElements: 0 })).rejects.toThrow(/chunkElements must be a positive integer, got 0/);
    await expect(ringAllReduce(new Float32Array(4), { ...link, rank: 2 })).rejects.toThrow(/rank must be an integer in \[0, 2\), got 2/);
  });
});
