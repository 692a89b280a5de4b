// The ring all-reduce's PeerLink over WebSockets: one link per generation,
// holding two sockets — outbound to the ring successor (dialed, carries this
// rank's chunks) and inbound from the predecessor (accepted by the worker's
// PeerServer). Opening costs two handshakes, so a worker simply opens a new
// link for every generation and closes the old one.
//
// Every chunk carries (g, step, seq): chunks of another generation are dropped
// and counted, chunks of an earlier step (left over from a failed step) too;
// anything else out of order breaks the link.
//
// Note [Failing fast around the ring]
// When either socket closes or stops answering pings, or the all-reduce fails,
// the link aborts: pending receives reject with PeerLostError, and both sockets
// are closed with ABORT_CLOSE_CODE and the culprit's rank in the reason. The
// neighbours then abort in turn, naming the same culprit, so one lost rank
// fails every rank of the ring within a round trip per hop, without waiting
// for the coordinator.
import { PeerLostError, checkTopology, type Compression, type WireArray, type WireLink } from "@vae/allreduce";
import type { ClientOptions } from "ws";
import { makeProof, newNonce, verifyProof } from "./auth.ts";
import { connect, type CloseInfo, type Connection } from "./connection.ts";
import { protocolError, remoteProtocolError, type ProtocolError } from "./errors.ts";
import { CLOSE_GRACE_MS, HANDSHAKE_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from "./limits.ts";
import { message, type Chunk } from "./messages.ts";
import { peerProofContext, type PeerServer } from "./peer-server.ts";

/** Close code of a socket closed because the collective was aborted; the reason is "<culprit rank>|<message>". */
export const ABORT_CLOSE_CODE = 4001;

/** Where a rank's peer server is (a subset of a `generation` message's member). */
export interface RingMember {
  rank: number;
  workerId: string;
  peerHost: string;
  peerPort: number;
}

export interface RingLinkOptions {
  /** This worker's long-lived peer server. */
  server: PeerServer;
  token: string;
  g: number;
  rank: number;
  worldSize: number;
  /** All members of the generation, in rank order. */
  members: readonly RingMember[];
  /** What `data` of every chunk must be: Float32Array ("none") or Uint16Array ("fp16"). */
  compress: Compression;
  /** For each of the two handshakes (ms). */
  timeoutMs?: number;
  /** Ping/pong liveness of both sockets; null to disable. */
  heartbeat?: { intervalMs: number; timeoutMs: number } | null;
  /** Dial wss:// instead of ws:// (with `wsOptions`, e.g. { ca }). */
  secure?: boolean;
  wsOptions?: ClientOptions;
  /** A chunk of another generation or an earlier step was dropped. */
  onStale?: (chunk: { g: number; step: number; seq: number }) => void;
  /** Messages rejected on the outbound socket (the inbound one reports through the PeerServer). */
  onRejected?: (err: ProtocolError) => void;
}

export interface RingLinkStats {
  messagesSent: number;
  bytesSent: number; // payload bytes (data), as counted by vae_allreduce_bytes_total
  messagesReceived: number;
  bytesReceived: number;
  staleDropped: number;
}

function peerUrl(m: RingMember, secure: boolean): string {
  const host = m.peerHost.includes(":") ? `[${m.peerHost}]` : m.peerHost;
  return `${secure ? "wss" : "ws"}://${host}:${m.peerPort}/peer`;
}

/** Opens this rank's ring link for generation `g`: resolves once both neighbours are connected and authenticated. */
export async function openRingLink(opts: RingLinkOptions): Promise<WsRingLink> {
  const { g, rank, worldSize: w, members } = opts;
  checkTopology(rank, w);
  if (members.length !== w || members.some((m, i) => m.rank !== i)) {
    throw new RangeError(`openRingLink: members must list ranks 0..${w - 1} in order, got ${members.map((m) => m.rank).join(",")}`);
  }
  const link = new WsRingLink(g, rank, w, opts);
  if (w === 1) return link;
  const prev = (rank - 1 + w) % w;
  const next = (rank + 1) % w;
  const timeoutMs = opts.timeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  const inbound = opts.server.accept(g, prev, members[prev].workerId, timeoutMs);
  const outbound = dialPeer(peerUrl(members[next], opts.secure ?? false), {
    token: opts.token,
    context: peerProofContext(g, rank, members[rank].workerId),
    hello: { g, rank, workerId: members[rank].workerId },
    timeoutMs,
    wsOptions: opts.wsOptions,
    onRejected: opts.onRejected,
  }).catch((err: Error) => {
    throw err instanceof PeerLostError ? err : new PeerLostError(next, `cannot open the ring link: ${err.message}`);
  });
  try {
    const [inConn, outConn] = await Promise.all([inbound, outbound]);
    link.attach(inConn, outConn);
    return link;
  } catch (err) {
    opts.server.cancelAccept(g, prev, err as Error);
    void inbound.then((c) => c.close(1000, "ring link setup failed"), () => {});
    void outbound.then((c) => c.close(1000, "ring link setup failed"), () => {});
    throw err;
  }
}

async function dialPeer(
  url: string,
  o: {
    token: string;
    context: string;
    hello: { g: number; rank: number; workerId: string };
    timeoutMs: number;
    wsOptions?: ClientOptions;
    onRejected?: (err: ProtocolError) => void;
  },
): Promise<Connection<"toPeerClient">> {
  const conn = await connect(url, "peer", { channel: "toPeerClient", onRejected: o.onRejected }, { handshakeTimeout: o.timeoutMs, ...o.wsOptions });
  const fail = (err: ProtocolError) => {
    conn.fail(err);
    return err;
  };
  const challenge = await conn.receive(o.timeoutMs);
  if (challenge.type === "error") throw remoteProtocolError(challenge.code, challenge.message);
  if (challenge.type !== "challenge") throw fail(protocolError("VAE_ERR_UNEXPECTED", `expected "challenge" first, got "${challenge.type}"`));
  const clientNonce = newNonce();
  const proof = makeProof(o.token, "peer-client", o.context, challenge.nonce, clientNonce);
  await conn.send(message("peerHello", { ...o.hello, clientNonce, proof }));
  const welcome = await conn.receive(o.timeoutMs);
  if (welcome.type === "error") throw remoteProtocolError(welcome.code, welcome.message);
  if (welcome.type !== "peerWelcome") throw fail(protocolError("VAE_ERR_UNEXPECTED", `expected "peerWelcome", got "${welcome.type}"`));
  if (!verifyProof(o.token, "peer-server", o.context, challenge.nonce, clientNonce, welcome.proof)) {
    throw fail(protocolError("VAE_ERR_AUTH", "peerWelcome.proof does not match: the peer does not hold this cluster token"));
  }
  return conn;
}

export class WsRingLink {
  readonly stats: RingLinkStats = { messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0, staleDropped: 0 };
  private readonly prev: number;
  private readonly next: number;
  private inbound: Connection<"toPeerServer"> | null = null;
  private outbound: Connection<"toPeerClient"> | null = null;
  private readonly queue: Chunk[] = [];
  private waiter: { resolve: (c: Chunk) => void; reject: (e: Error) => void } | null = null;
  private error: Error | null = null;
  private sendStep = -1;
  private sendSeq = 0;
  private recvStep = -1;
  private recvSeq = 0;

  /** Use openRingLink(). */
  constructor(
    readonly g: number,
    readonly rank: number,
    readonly worldSize: number,
    private readonly opts: RingLinkOptions,
  ) {
    this.prev = (rank - 1 + worldSize) % worldSize;
    this.next = (rank + 1) % worldSize;
  }

  /** Why the link is unusable (aborted or closed), or null while it works. */
  get failure(): Error | null {
    return this.error;
  }

  /** @internal Takes over the two authenticated sockets. */
  attach(inbound: Connection<"toPeerServer">, outbound: Connection<"toPeerClient">): void {
    this.inbound = inbound;
    this.outbound = outbound;
    inbound.setContext(() => ({ compress: this.opts.compress }));
    inbound.onMessage((m) => {
      if (m.type === "chunk") this.onChunk(m);
      else if (m.type === "error") this.abort(new PeerLostError(this.prev, remoteProtocolError(m.code, m.message).message));
      else inbound.fail(protocolError("VAE_ERR_UNEXPECTED", `"${m.type}" after the peer handshake`));
    });
    outbound.onMessage((m) => {
      if (m.type === "error") this.abort(new PeerLostError(this.next, remoteProtocolError(m.code, m.message).message));
      else outbound.fail(protocolError("VAE_ERR_UNEXPECTED", `"${m.type}" after the peer handshake`));
    });
    void inbound.closed.then((info) => this.onSocketClosed(this.prev, info));
    void outbound.closed.then((info) => this.onSocketClosed(this.next, info));
    const hb = this.opts.heartbeat === undefined ? { intervalMs: HEARTBEAT_INTERVAL_MS, timeoutMs: HEARTBEAT_TIMEOUT_MS } : this.opts.heartbeat;
    if (hb) {
      inbound.startHeartbeat(hb.intervalMs, hb.timeoutMs);
      outbound.startHeartbeat(hb.intervalMs, hb.timeoutMs);
    }
  }

  /** The PeerLink for step `step` of this generation: chunks are stamped with (g, step, seq) and checked on receipt. */
  forStep(step: number): WireLink {
    return {
      rank: this.rank,
      worldSize: this.worldSize,
      send: (to, data) => this.send(step, to, data),
      recv: (from) => this.recv(step, from),
      abort: (reason) => this.abort(reason),
    };
  }

  /** Fails the link and everyone waiting on it; see Note [Failing fast around the ring]. Idempotent. */
  abort(reason: Error): void {
    if (this.error) return;
    this.error = reason;
    this.rejectWaiter(reason);
    const culprit = reason instanceof PeerLostError ? reason.peer : this.rank;
    const text = `${culprit}|${reason.message}`;
    this.inbound?.close(ABORT_CLOSE_CODE, text);
    this.outbound?.close(ABORT_CLOSE_CODE, text);
  }

  /** Ends the link normally (end of a generation). A peer still waiting on it fails naming this rank. */
  close(): void {
    if (this.error) return;
    this.error = new Error(`ring link of generation ${this.g} is closed`);
    this.rejectWaiter(this.error);
    this.inbound?.close(1000, "generation over");
    this.outbound?.close(1000, "generation over");
  }

  /**
   * Destroys both sockets at once, without a close handshake or an abort
   * reason, as a crash of this process would (for fault-injection tests).
   */
  destroy(): void {
    this.error ??= new Error(`ring link of generation ${this.g} was destroyed`);
    this.rejectWaiter(this.error);
    this.inbound?.terminate();
    this.outbound?.terminate();
  }

  private async send(step: number, to: number, data: WireArray): Promise<void> {
    if (this.error) throw this.error;
    if (to !== this.next) throw new RangeError(`rank ${this.rank}'s ring link only sends to its successor ${this.next}, not ${to}`);
    if (step !== this.sendStep) {
      this.sendStep = step;
      this.sendSeq = 0;
    }
    const sent = this.outbound!.send(message("chunk", { g: this.g, step, seq: this.sendSeq++, data }));
    this.stats.messagesSent++;
    this.stats.bytesSent += data.byteLength;
    try {
      await sent;
    } catch (err) {
      // The socket is closing: its close code and reason (soon in `closed`) name the culprit.
      await Promise.race([this.outbound!.closed, new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
      this.abort(new PeerLostError(this.next, `send failed: ${(err as Error).message}`));
      throw this.error;
    }
  }

  private async recv(step: number, from: number): Promise<WireArray> {
    if (from !== this.prev) throw new RangeError(`rank ${this.rank}'s ring link only receives from its predecessor ${this.prev}, not ${from}`);
    if (step !== this.recvStep) {
      this.recvStep = step;
      this.recvSeq = 0;
    }
    for (;;) {
      if (this.error) throw this.error;
      const c = this.queue.shift() ?? (await new Promise<Chunk>((resolve, reject) => (this.waiter = { resolve, reject })));
      if (c.step < step) {
        this.stale(c);
        continue;
      }
      if (c.step !== step || c.seq !== this.recvSeq) {
        const err = new PeerLostError(this.prev, `chunk (step ${c.step}, seq ${c.seq}) arrived while expecting (step ${step}, seq ${this.recvSeq})`);
        this.abort(err);
        throw err;
      }
      this.recvSeq++;
      return c.data;
    }
  }

  private onChunk(c: Chunk): void {
    if (c.g !== this.g) return this.stale(c);
    this.stats.messagesReceived++;
    this.stats.bytesReceived += c.data.byteLength;
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w.resolve(c);
    } else {
      this.queue.push(c);
    }
  }

  private stale(c: Chunk): void {
    this.stats.staleDropped++;
    this.opts.onStale?.({ g: c.g, step: c.step, seq: c.seq });
  }

  private onSocketClosed(peer: number, info: CloseInfo): void {
    if (this.error) return;
    let culprit = peer;
    let why: string;
    const m = info.code === ABORT_CLOSE_CODE ? /^(-?\d+)\|(.*)$/s.exec(info.reason) : null;
    if (m) {
      culprit = Number(m[1]) === this.rank ? peer : Number(m[1]);
      why = `rank ${peer} aborted: ${m[2]}`;
    } else if (info.heartbeatTimeout) {
      why = "stopped answering pings (process stopped or network down)";
    } else if (info.error) {
      why = `sent a bad message: ${info.error.message}`;
    } else {
      why = `connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`;
    }
    this.abort(new PeerLostError(culprit, why));
  }

  private rejectWaiter(err: Error): void {
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
  }
}
