// Ring all-reduce over real ws-peer-links, W ranks in one process.
import { PeerLostError, ringAllReduce, withCompression, type Compression } from "@vae/allreduce";
import { randomInputs, settleWithin, sumProblem } from "@vae/allreduce/testing";
import { afterEach, describe, expect, it } from "vitest";
import { makeProof, newNonce } from "./auth.ts";
import { connect } from "./connection.ts";
import { ProtocolError } from "./errors.ts";
import { message } from "./messages.ts";
import { PeerServer, peerProofContext } from "./peer-server.ts";
import { openRingLink, type RingMember, type WsRingLink } from "./ws-peer-link.ts";

const TOKEN = "ring-token";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function servers(w: number, token = TOKEN): Promise<{ servers: PeerServer[]; members: RingMember[]; rejected: ProtocolError[] }> {
  const rejected: ProtocolError[] = [];
  const out = await Promise.all(Array.from({ length: w }, () => PeerServer.listen({ token, port: 0, onRejected: (e) => rejected.push(e) })));
  cleanups.push(() => Promise.all(out.map((s) => s.close())));
  const members = out.map((s, rank) => ({ rank, workerId: `w-${rank}`, peerHost: "127.0.0.1", peerPort: s.port }));
  return { servers: out, members, rejected };
}

async function ring(w: number, g: number, compress: Compression, extra: { heartbeat?: { intervalMs: number; timeoutMs: number } } = {}) {
  const { servers: ss, members, rejected } = await servers(w);
  const links = await Promise.all(
    ss.map((server, rank) => openRingLink({ server, token: TOKEN, g, rank, worldSize: w, members, compress, timeoutMs: 3_000, ...extra })),
  );
  cleanups.push(() => links.forEach((l) => l.close()));
  return { links, members, servers: ss, rejected };
}

async function allReduce(links: WsRingLink[], inputs: Float32Array[], step: number, compress: Compression, chunkElements = 4096) {
  const bufs = inputs.map((x) => x.slice());
  const rs = await settleWithin(
    bufs.map((b, r) => ringAllReduce(b, withCompression(links[r].forStep(step), compress), { chunkElements })),
    10_000,
  );
  return { bufs, rs };
}

describe("ws ring link", () => {
  for (const compress of ["none", "fp16"] as const) {
    it(`all-reduces over real sockets for W=3 (${compress}), step after step`, { timeout: 20_000 }, async () => {
      const { links } = await ring(3, 1, compress);
      for (const [step, n] of [[0, 100_003], [1, 2], [2, 0], [3, 50_000]] as const) {
        const inputs = randomInputs(3, n, 10 + step, 10);
        const { bufs, rs } = await allReduce(links, inputs, step, compress);
        for (const r of rs) expect(r.status).toBe("fulfilled");
        const tol = compress === "fp16" ? 4 * 2 ** -11 : 3 * 2 ** -24;
        expect(sumProblem(inputs, bufs, tol, compress === "fp16" ? 2 ** -22 : 0), `step ${step}`).toBeNull();
      }
      const bpe = compress === "fp16" ? 2 : 4;
      // each rank sends 2(W−1)/W of every buffer: 4/3 · (100003 + 2 + 0 + 50000) elements, ± rounding per segment
      expect(Math.abs(links[0].stats.bytesSent - (4 / 3) * 150_005 * bpe)).toBeLessThan(16 * bpe);
      expect(links[1].stats.staleDropped).toBe(0);
    });
  }

  it("works for W=2 and is a no-op without sockets for W=1", { timeout: 10_000 }, async () => {
    const { links } = await ring(2, 7, "none");
    const inputs = randomInputs(2, 1001, 3);
    const { bufs } = await allReduce(links, inputs, 0, "none", 100);
    expect(sumProblem(inputs, bufs, 2 * 2 ** -24)).toBeNull();
    const { servers: [s] } = await servers(1);
    const solo = await openRingLink({ server: s, token: TOKEN, g: 1, rank: 0, worldSize: 1, members: [{ rank: 0, workerId: "w", peerHost: "x", peerPort: 1 }], compress: "none" });
    const x = new Float32Array([1, 2]);
    await ringAllReduce(x, withCompression(solo.forStep(0), "none"));
    expect([...x]).toEqual([1, 2]);
    expect(solo.stats.messagesSent).toBe(0);
  });

  it("makes every other rank fail fast, naming the peer, when one rank's link dies mid-reduce", { timeout: 10_000 }, async () => {
    const { links } = await ring(3, 2, "none");
    const inputs = randomInputs(3, 1_000_000, 4);
    const bufs = inputs.map((x) => x.slice());
    let sent = 0;
    const runs = bufs.map((b, r) => {
      const link = withCompression(links[r].forStep(0), "none");
      const send = link.send;
      if (r === 1) link.send = (to, d) => (++sent === 10 && links[1].destroy(), send(to, d)); // crash after 10 of 162 chunks
      return ringAllReduce(b, link, { chunkElements: 4096 });
    });
    const t0 = performance.now();
    const rs = await settleWithin(runs, 5_000, "ring after a crash");
    expect(performance.now() - t0).toBeLessThan(3_000);
    for (const r of [0, 2]) {
      expect(rs[r].status).toBe("rejected");
      const err = (rs[r] as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(PeerLostError);
      expect(err.peer).toBe(1);
    }
    expect(rs[1].status).toBe("rejected");
  });

  it("detects a rank that stops answering (paused socket) through ping/pong", { timeout: 10_000 }, async () => {
    const { links } = await ring(3, 3, "none", { heartbeat: { intervalMs: 50, timeoutMs: 400 } });
    const inputs = randomInputs(3, 200_000, 5);
    const bufs = inputs.map((x) => x.slice());
    // Rank 1 stops reading both of its sockets, as a SIGSTOPped process would.
    const sockets = (links[1] as unknown as { inbound: { ws: { _socket: { pause(): void } } }; outbound: { ws: { _socket: { pause(): void } } } });
    sockets.inbound.ws._socket.pause();
    sockets.outbound.ws._socket.pause();
    const runs = [0, 2].map((r) => ringAllReduce(bufs[r], withCompression(links[r].forStep(0), "none"), { chunkElements: 4096 }));
    const rs = await settleWithin(runs, 5_000, "ring with a stopped rank");
    for (const r of rs) {
      expect(r.status).toBe("rejected");
      expect(((r as PromiseRejectedResult).reason as PeerLostError).peer).toBe(1);
    }
    links[1].destroy();
  });

  it("refuses a peer with the wrong token, and the link fails to open naming the peer", { timeout: 10_000 }, async () => {
    const { servers: ss, members, rejected } = await servers(2);
    const opens = ss.map((server, rank) =>
      openRingLink({ server, token: rank === 0 ? "not the token" : TOKEN, g: 1, rank, worldSize: 2, members, compress: "none", timeoutMs: 500 }),
    );
    const rs = await settleWithin(opens, 5_000);
    const err0 = (rs[0] as PromiseRejectedResult).reason;
    expect(err0).toBeInstanceOf(PeerLostError);
    expect(err0.peer).toBe(1);
    expect(err0.message).toMatch(/VAE_ERR_AUTH/);
    expect(((rs[1] as PromiseRejectedResult).reason as PeerLostError).peer).toBe(0);
    expect(rejected.map((e) => e.code)).toContain("VAE_ERR_AUTH");
  });

  it("refuses a peerHello of an ended generation, and drops chunks of another generation", { timeout: 10_000 }, async () => {
    const { servers: ss, members, links } = await ring(2, 5, "none");
    const dial = async (g: number) => {
      const conn = await connect(`ws://127.0.0.1:${ss[1].port}/peer`, "peer", { channel: "toPeerClient" });
      cleanups.push(() => conn.terminate());
      const challenge = await conn.receive(1_000);
      if (challenge.type !== "challenge") throw new Error("no challenge");
      const clientNonce = newNonce();
      const proof = makeProof(TOKEN, "peer-client", peerProofContext(g, 0, "w-0"), challenge.nonce, clientNonce);
      await conn.send(message("peerHello", { g, rank: 0, workerId: "w-0", clientNonce, proof }));
      return conn;
    };
    const stale = await dial(4);
    const reply = await stale.receive(1_000);
    expect(reply).toMatchObject({ type: "error", code: "VAE_ERR_STALE_GENERATION", message: expect.stringMatching(/peerHello\.g 4: generation 5 has started/) });
    expect((await stale.closed).code).toBe(1008);
    void members;

    // A chunk stamped with another generation on a link's socket is dropped and counted.
    const outbound = (links[0] as unknown as { outbound: { send(m: unknown): Promise<void> } }).outbound;
    await outbound.send(message("chunk", { g: 4, step: 0, seq: 0, data: new Float32Array(3) }));
    const inputs = randomInputs(2, 10, 6);
    const { bufs, rs } = await allReduce(links, inputs, 0, "none");
    for (const r of rs) expect(r.status).toBe("fulfilled");
    expect(sumProblem(inputs, bufs, 2 * 2 ** -24)).toBeNull();
    expect(links[1].stats.staleDropped).toBe(1);
  });
});
