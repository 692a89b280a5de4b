// One rank of the all-reduce benchmark, in its own process: it holds a raw TCP
// ring, a WebSocket ring link and a star connection to the parent's hub, and
// times all-reduces on command. Exits when the parent goes away.
import net from "node:net";
import { ringAllReduce, starAllReduce, withCompression, withHubCompression } from "@vae/allreduce";
import { randomInputs } from "@vae/allreduce/testing";
import { PeerServer, StarChannel, bufferutilStatus, connect, openRingLink, type WsRingLink } from "@vae/protocol";
import type { Algo, FromRank, ToRank } from "./protocol.ts";
import { RawTcpRing } from "./raw-tcp-link.ts";

process.on("disconnect", () => process.exit(1)); // never outlive the parent

const reply = (m: FromRank) => process.send!(m);
let rank = 0;
let worldSize = 1;
let token = "";
let peerServer: PeerServer;
let rawServer: net.Server;
let raw: RawTcpRing;
let ring: WsRingLink;
let ringFp16: WsRingLink;
let star: StarChannel;
let step = 0;

async function init(m: Extract<ToRank, { type: "init" }>): Promise<void> {
  ({ rank, worldSize, token } = m);
  peerServer = await PeerServer.listen({ token, port: 0 });
  rawServer = net.createServer();
  await new Promise<void>((r) => rawServer.listen(0, "127.0.0.1", r));
  reply({ type: "ports", peerPort: peerServer.port, rawPort: (rawServer.address() as net.AddressInfo).port, bufferutil: bufferutilStatus() });
}

async function connectAll(m: Extract<ToRank, { type: "connect" }>): Promise<void> {
  const members = m.peerPorts.map((peerPort, r) => ({ rank: r, workerId: `bench-${r}`, peerHost: "127.0.0.1", peerPort }));
  const [rawRing, hub] = await Promise.all([
    RawTcpRing.open(rank, worldSize, rawServer, m.rawPorts[(rank + 1) % worldSize]),
    connect(`${m.hubUrl}?rank=${rank}`, "control", { channel: "toWorker" }),
  ]);
  raw = rawRing;
  // One link per wire form, as a worker opens one per generation.
  ring = await openRingLink({ server: peerServer, token, g: 1, rank, worldSize, members, compress: "none" });
  ringFp16 = await openRingLink({ server: peerServer, token, g: 2, rank, worldSize, members, compress: "fp16" });
  star = new StarChannel(hub);
  hub.onMessage((msg) => {
    if (msg.type === "reduced") star.deliver(msg);
  });
  reply({ type: "connected" });
}

function barrier(): Promise<void> {
  return ringAllReduce(new Float32Array(1), raw.link());
}

async function allReduce(algo: Algo, buf: Float32Array, chunkElements: number): Promise<void> {
  const s = step++;
  switch (algo) {
    case "raw":
      return ringAllReduce(buf, raw.link(), { chunkElements });
    case "ring":
      return ringAllReduce(buf, withCompression(ring.forStep(s), "none"), { chunkElements });
    case "ring-fp16":
      return ringAllReduce(buf, withCompression(ringFp16.forStep(s), "fp16"), { chunkElements });
    case "star":
      return starAllReduce(buf, withHubCompression(star.link(1, s, rank, worldSize), "none"));
  }
}

async function run(m: Extract<ToRank, { type: "run" }>): Promise<void> {
  const [source] = randomInputs(1, m.elements, 1234 + rank);
  const buf = new Float32Array(m.elements);
  const ms: Partial<Record<Algo, number[]>> = {};
  const cpuMs: Partial<Record<Algo, number[]>> = {};
  const checksums: Partial<Record<Algo, number>> = {};
  for (let i = 0; i < m.warmup + m.reps; i++) {
    for (const algo of m.algos) {
      buf.set(source); // in place: start every repetition from the same values
      await barrier();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await allReduce(algo, buf, m.chunkElements);
      const dt = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (i >= m.warmup) {
        (ms[algo] ??= []).push(dt);
        (cpuMs[algo] ??= []).push((c.user + c.system) / 1000);
      }
      if (i === 0) checksums[algo] = buf[0] + buf[buf.length >> 1] + buf[buf.length - 1];
    }
  }
  reply({ type: "times", ms, cpuMs, checksums });
}

process.on("message", (m: ToRank) => {
  const handle = async () => {
    if (m.type === "init") await init(m);
    else if (m.type === "connect") await connectAll(m);
    else if (m.type === "run") await run(m);
    else if (m.type === "exit") {
      raw?.close();
      ring?.close();
      ringFp16?.close();
      await peerServer?.close();
      rawServer?.close();
      process.exit(0);
    }
  };
  handle().catch((err: Error) => {
    reply({ type: "error", message: `rank ${rank}: ${err.stack ?? err.message}` });
    setTimeout(() => process.exit(1), 100);
  });
});
