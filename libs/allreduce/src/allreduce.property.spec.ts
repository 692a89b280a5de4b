// Property tests: for seeded random lengths (including 0, 1, < W, non-multiples
// of W and ~100k) and W = 1..6, ring (fp32 and fp16 on the wire) and star give
// every rank the same bits, within rounding of the float64 sum.
import { Rng } from "@vae/random";
import { describe, expect, it } from "vitest";
import { withCompression, withHubCompression, type Compression } from "./compression.ts";
import { ringAllReduce } from "./ring.ts";
import { starAllReduce, sumInRankOrder } from "./star.ts";
import { MemoryMesh, MemoryStar, randomInputs, settleWithin, sumProblem } from "./testing/index.ts";

const U32 = 2 ** -24; // fp32 unit roundoff
const U16 = 2 ** -11; // fp16 unit roundoff

function lengthsFor(w: number, seed: number): number[] {
  const rng = new Rng(seed, w);
  const out = [0, 1, Math.max(1, w - 1), w, w + 1, 7 * w + 3, 1 + rng.nextInt(5000), 1 + rng.nextInt(5000), 100_000 + rng.nextInt(1000)];
  return [...new Set(out)];
}

/** Bounds: W−1 fp32 additions; with fp16 also up to W roundings of partial sums (plus subnormal spacing). */
function tolerance(w: number, kind: Compression): [rel: number, abs: number] {
  return kind === "fp16" ? [(w + 1) * U16 + w * U32, w * 2 ** -24] : [w * U32, 0];
}

async function ring(inputs: Float32Array[], kind: Compression, mesh: MemoryMesh, chunkElements: number): Promise<Float32Array[]> {
  const bufs = inputs.map((x) => x.slice());
  const rs = await settleWithin(
    bufs.map((b, r) => ringAllReduce(b, withCompression(mesh.link(r), kind), { chunkElements })),
    10_000,
    `ring W=${inputs.length} n=${inputs[0].length} ${kind}`,
  );
  for (const r of rs) if (r.status === "rejected") throw r.reason;
  return bufs;
}

describe("all-reduce properties", () => {
  for (let w = 1; w <= 6; w++) {
    for (const kind of ["none", "fp16"] as const) {
      it(`ring, W=${w}, ${kind}: bitwise identical, within rounding of the float64 sum`, async () => {
        const chunkRng = new Rng(77, w);
        for (const n of lengthsFor(w, 1)) {
          const inputs = randomInputs(w, n, 1000 + n, 10);
          // Chunks from 1 element to more than a segment, so pipelining and uneven chunking are exercised.
          const chunk = 1 + chunkRng.nextInt(Math.max(1, Math.ceil(n / w) + 2));
          const mesh = new MemoryMesh(w);
          const bufs = await ring(inputs, kind, mesh, n > 10_000 ? Math.max(chunk, 4096) : chunk);
          const [rel, abs] = tolerance(w, kind);
          expect(sumProblem(inputs, bufs, rel, abs), `n=${n} chunk=${chunk}`).toBeNull();
          if (w === 1) expect(mesh.stats.messagesSent[0]).toBe(0);
        }
      });

      it(`star, W=${w}, ${kind}: bitwise identical, within rounding of the float64 sum`, async () => {
        for (const n of lengthsFor(w, 2)) {
          const inputs = randomInputs(w, n, 2000 + n, 10);
          const star = new MemoryStar(w, n, kind);
          const bufs = inputs.map((x) => x.slice());
          const rs = await settleWithin(bufs.map((b, r) => starAllReduce(b, withHubCompression(star.link(r), kind))), 10_000);
          for (const r of rs) if (r.status === "rejected") throw r.reason;
          const [rel, abs] = tolerance(w, kind);
          expect(sumProblem(inputs, bufs, rel, abs), `n=${n}`).toBeNull();
          if (kind === "none" && w > 1) expect(Buffer.from(bufs[0].buffer).equals(Buffer.from(sumInRankOrder(inputs).buffer))).toBe(true);
        }
      });
    }
  }

  it("gives the same bits whatever the message timing (seeded random delays)", async () => {
    const w = 5;
    const n = 3001;
    const inputs = randomInputs(w, n, 31, 10);
    for (const kind of ["none", "fp16"] as const) {
      let reference: Buffer | null = null;
      for (const seed of [1, 2, 3]) {
        const mesh = new MemoryMesh(w, { delay: { maxMs: 1, seed } });
        const bufs = await ring(inputs, kind, mesh, 97);
        mesh.close();
        const bits = Buffer.from(bufs[0].buffer);
        if (reference) expect(bits.equals(reference)).toBe(true);
        reference = bits;
      }
    }
  });
});
