// The all-reduce of one generation, built from its `generation` message:
// nothing for one rank, a ring over the peer sockets, or a star through the
// coordinator. The algorithms come from @vae/allreduce; the links from @vae/protocol.
import { ringAllReduce, starAllReduce, withCompression, withHubCompression } from "@vae/allreduce";
import { openRingLink, type PeerServer, type ProtocolError, type StarChannel, type WsRingLink } from "@vae/protocol";
import { UnreachablePeerError, type Collective, type GenerationInfo } from "./worker-node.ts";

const NO_BYTES = { bytesSent: 0, bytesReceived: 0 };

/** W = 1: the sum over one rank is its own buffer. */
export function soloCollective(): Collective {
  return { allReduce: async () => NO_BYTES, abort: () => {} };
}

export async function ringCollective(
  gen: GenerationInfo,
  server: PeerServer,
  token: string,
  onRejected: (err: ProtocolError) => void,
  onStale: () => void,
  signal: AbortSignal,
): Promise<Collective & { link: WsRingLink }> {
  // A newer generation cancels the wait for our predecessor (which may be dead);
  // openRingLink then closes its half-open outbound side and rejects.
  const prev = (gen.rank - 1 + gen.worldSize) % gen.worldSize;
  const cancel = () => server.cancelAccept(gen.g, prev, signal.reason instanceof Error ? signal.reason : new Error("ring setup cancelled"));
  if (signal.aborted) throw signal.reason;
  signal.addEventListener("abort", cancel, { once: true });
  const link = await openRingLink({
    server,
    token,
    g: gen.g,
    rank: gen.rank,
    worldSize: gen.worldSize,
    members: gen.members,
    compress: gen.compress,
    onRejected,
    onStale,
  })
    .catch((err: Error) => {
      // Refused or unresolvable: the successor's advertised address does not work from here.
      const next = (gen.rank + 1) % gen.worldSize;
      if (/cannot connect to .*(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL)/.test(err.message)) {
        const m = gen.members[next]!;
        throw new UnreachablePeerError(next, `cannot reach rank ${next} (${m.workerId}) at ${m.peerHost}:${m.peerPort}: ${err.message}`);
      }
      throw err;
    })
    .finally(() => signal.removeEventListener("abort", cancel));
  return {
    link,
    async allReduce(buf, step) {
      const sent = link.stats.bytesSent;
      const received = link.stats.bytesReceived;
      await ringAllReduce(buf, withCompression(link.forStep(step), gen.compress));
      return { bytesSent: link.stats.bytesSent - sent, bytesReceived: link.stats.bytesReceived - received };
    },
    abort: (reason) => link.abort(reason),
  };
}

export function starCollective(gen: GenerationInfo, channel: StarChannel): Collective {
  return {
    async allReduce(buf, step) {
      await starAllReduce(buf, withHubCompression(channel.link(gen.g, step, gen.rank, gen.worldSize), gen.compress));
      const bytes = gen.worldSize === 1 ? 0 : (buf.byteLength * (gen.compress === "fp16" ? 1 : 2)) / 2;
      return { bytesSent: bytes, bytesReceived: bytes };
    },
    abort: (reason) => channel.abort(reason),
  };
}
