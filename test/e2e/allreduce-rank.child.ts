// One rank of test/e2e/allreduce-processes.e2e.ts: a PeerServer and a ring
// link over real WebSockets, running all-reduces on command and reporting each
// result or the PeerLostError that ended it. Exits when the parent goes away.
import { PeerLostError, ringAllReduce, withCompression, type Compression } from "@vae/allreduce";
import { randomInputs } from "@vae/allreduce/testing";
import { PeerServer, openRingLink, type WsRingLink } from "@vae/protocol";

export type ToChild =
  | { type: "init"; rank: number; worldSize: number; token: string; heartbeat: { intervalMs: number; timeoutMs: number } }
  | { type: "connect"; peerPorts: number[]; compress: Compression }
  | { type: "run"; elements: number; rounds: number };
export type FromChild =
  | { type: "listening"; port: number }
  | { type: "connected" }
  | { type: "result"; round: number; bits: number[] } // a few elements' bit patterns, to compare across ranks
  | { type: "failed"; round: number; peer: number | null; message: string; ms: number };

process.on("disconnect", () => process.exit(1)); // never outlive the test
const reply = (m: FromChild) => process.send!(m);

let init: Extract<ToChild, { type: "init" }>;
let server: PeerServer;
let link: WsRingLink;
let compress: Compression = "none";

process.on("message", async (m: ToChild) => {
  if (m.type === "init") {
    init = m;
    server = await PeerServer.listen({ token: m.token, port: 0 });
    reply({ type: "listening", port: server.port });
  } else if (m.type === "connect") {
    compress = m.compress;
    const members = m.peerPorts.map((peerPort, rank) => ({ rank, workerId: `w-${rank}`, peerHost: "127.0.0.1", peerPort }));
    link = await openRingLink({ server, token: init.token, g: 1, rank: init.rank, worldSize: init.worldSize, members, compress, heartbeat: init.heartbeat });
    reply({ type: "connected" });
  } else if (m.type === "run") {
    const [input] = randomInputs(1, m.elements, 7 + init.rank);
    const buf = new Float32Array(m.elements);
    const bits = new Uint32Array(buf.buffer);
    for (let round = 0; round < m.rounds; round++) {
      buf.set(input);
      const t0 = performance.now();
      try {
        await ringAllReduce(buf, withCompression(link.forStep(round), compress), { chunkElements: 16384 });
      } catch (err) {
        const peer = err instanceof PeerLostError ? err.peer : null;
        reply({ type: "failed", round, peer, message: String(err), ms: performance.now() - t0 });
        return;
      }
      reply({ type: "result", round, bits: [bits[0], bits[m.elements >> 1], bits[m.elements - 1]] });
    }
  }
});
