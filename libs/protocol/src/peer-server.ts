// A worker's data-channel server (/peer on --peer-port). It lives as long as
// the worker; each generation's ring link asks it for the authenticated socket
// of its ring predecessor. Order does not matter: a predecessor that dials
// before this worker has opened its link for that generation is held (up to
// the handshake timeout) until the link asks for it.
//
// Accepting one connection:
//   S→C challenge {nonce}
//   C→S peerHello {g, rank, workerId, clientNonce, proof}  — proof checked (VAE_ERR_AUTH),
//        g below the newest generation asked for is refused (VAE_ERR_STALE_GENERATION)
//   the link for (g, rank+1) claims it; the workerId must be the one the
//        generation assigns to that rank (VAE_ERR_AUTH)
//   S→C peerWelcome {proof}                                 — only now, so the dialer knows the link is ready
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { PeerLostError } from "@vae/allreduce";
import type { WebSocketServer } from "ws";
import { checkToken, makeProof, newNonce, verifyProof } from "./auth.ts";
import { Connection } from "./connection.ts";
import { protocolError, type ProtocolError } from "./errors.ts";
import { HANDSHAKE_TIMEOUT_MS } from "./limits.ts";
import { message, type PeerHello } from "./messages.ts";
import { createWsServer, wsServerPort } from "./sockets.ts";

export interface PeerServerOptions {
  token: string;
  /** Listen on its own port (0 = ephemeral) on `host` (default 127.0.0.1)… */
  port?: number;
  host?: string;
  /** …or share an existing http(s) server. */
  server?: HttpServer | HttpsServer;
  /** Default /peer. */
  path?: string;
  handshakeTimeoutMs?: number;
  /** Rejected connections and messages, e.g. for vae_rejected_messages_total{reason}. */
  onRejected?: (err: ProtocolError) => void;
}

/** The proof context that binds a peer handshake to what the dialer claims to be. */
export function peerProofContext(g: number, rank: number, workerId: string): string {
  return `${g}:${rank}:${workerId}`;
}

interface Arrival {
  conn: Connection<"toPeerServer">;
  hello: PeerHello;
  serverNonce: Uint8Array;
  timer: ReturnType<typeof setTimeout>;
}

interface Claim {
  g: number;
  rank: number;
  workerId: string;
  resolve: (conn: Connection<"toPeerServer">) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const key = (g: number, rank: number) => `${g}:${rank}`;

export class PeerServer {
  private readonly arrivals = new Map<string, Arrival>();
  private readonly claims = new Map<string, Claim>();
  private newestGeneration = 0;
  private readonly handshakeTimeoutMs: number;

  private constructor(
    private readonly wss: WebSocketServer,
    private readonly opts: PeerServerOptions,
    /** The port it accepts on (that of the shared server, if any). */
    readonly port: number,
  ) {
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    wss.on("connection", (ws) => void this.handshake(new Connection(ws, { channel: "toPeerServer", onRejected: opts.onRejected })));
  }

  static async listen(opts: PeerServerOptions): Promise<PeerServer> {
    checkToken(opts.token);
    if (opts.server) {
      const wss = await createWsServer("peer", { server: opts.server, path: opts.path });
      const addr = opts.server.address();
      return new PeerServer(wss, opts, addr !== null && typeof addr === "object" ? addr.port : 0);
    }
    const wss = await createWsServer("peer", { port: opts.port ?? 0, host: opts.host, path: opts.path });
    return new PeerServer(wss, opts, wsServerPort(wss));
  }

  /**
   * The authenticated connection from rank `fromRank` of generation `g`, whose
   * worker must be `workerId`. Rejects with PeerLostError(fromRank) when it
   * does not arrive within `timeoutMs`. Asking for generation g refuses every
   * connection of an older generation from then on.
   */
  accept(g: number, fromRank: number, workerId: string, timeoutMs = this.handshakeTimeoutMs): Promise<Connection<"toPeerServer">> {
    this.retireBelow(g);
    const k = key(g, fromRank);
    if (this.claims.has(k)) return Promise.reject(new Error(`already accepting rank ${fromRank} of generation ${g}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.claims.delete(k);
        reject(new PeerLostError(fromRank, `did not connect to this worker's peer server within ${timeoutMs} ms (generation ${g})`));
      }, timeoutMs);
      this.claims.set(k, { g, rank: fromRank, workerId, resolve, reject, timer });
      const waiting = this.arrivals.get(k);
      if (waiting) {
        this.arrivals.delete(k);
        clearTimeout(waiting.timer);
        this.handOver(k, waiting);
      }
    });
  }

  /** Withdraws an accept() (e.g. when the rest of a link failed to open). */
  cancelAccept(g: number, fromRank: number, reason: Error): void {
    const k = key(g, fromRank);
    const claim = this.claims.get(k);
    if (!claim) return;
    this.claims.delete(k);
    clearTimeout(claim.timer);
    claim.reject(reason);
  }

  /** Stops accepting and destroys every socket, pending or handed over. */
  async close(): Promise<void> {
    for (const claim of [...this.claims.values()]) this.cancelAccept(claim.g, claim.rank, new Error("peer server closed"));
    for (const a of this.arrivals.values()) clearTimeout(a.timer);
    this.arrivals.clear();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async handshake(conn: Connection<"toPeerServer">): Promise<void> {
    try {
      const serverNonce = newNonce();
      await conn.send(message("challenge", { nonce: serverNonce }));
      const hello = await conn.receive(this.handshakeTimeoutMs);
      if (hello.type !== "peerHello") {
        conn.fail(protocolError("VAE_ERR_UNEXPECTED", `expected "peerHello" after the challenge, got "${hello.type}"`));
        return;
      }
      const ctx = peerProofContext(hello.g, hello.rank, hello.workerId);
      if (!verifyProof(this.opts.token, "peer-client", ctx, serverNonce, hello.clientNonce, hello.proof)) {
        conn.fail(protocolError("VAE_ERR_AUTH", `peerHello.proof from rank ${hello.rank} does not match: wrong cluster token`));
        return;
      }
      if (hello.g < this.newestGeneration) {
        conn.fail(staleGeneration(hello.g, this.newestGeneration));
        return;
      }
      const k = key(hello.g, hello.rank);
      const arrival: Arrival = { conn, hello, serverNonce, timer: undefined as never };
      if (this.claims.has(k)) {
        this.handOver(k, arrival);
        return;
      }
      if (this.arrivals.has(k)) {
        conn.fail(protocolError("VAE_ERR_UNEXPECTED", `rank ${hello.rank} of generation ${hello.g} is already connecting`));
        return;
      }
      arrival.timer = setTimeout(() => {
        this.arrivals.delete(k);
        conn.fail(protocolError("VAE_ERR_TIMEOUT", `no ring link of generation ${hello.g} expects rank ${hello.rank} here`));
      }, this.handshakeTimeoutMs);
      this.arrivals.set(k, arrival);
      void conn.closed.then(() => {
        if (this.arrivals.get(k) === arrival) {
          this.arrivals.delete(k);
          clearTimeout(arrival.timer);
        }
      });
    } catch {
      // The connection failed (reported through onRejected) or closed during the handshake.
    }
  }

  private handOver(k: string, a: Arrival): void {
    const claim = this.claims.get(k)!;
    const { hello } = a;
    if (hello.workerId !== claim.workerId) {
      // Leave the claim waiting: the right worker may still come.
      a.conn.fail(
        protocolError("VAE_ERR_AUTH", `peerHello.workerId "${hello.workerId}" is not the worker of rank ${hello.rank} in generation ${hello.g} ("${claim.workerId}")`),
      );
      return;
    }
    if (!a.conn.isOpen) return; // closed while waiting; the claim keeps waiting
    this.claims.delete(k);
    clearTimeout(claim.timer);
    const proof = makeProof(this.opts.token, "peer-server", peerProofContext(hello.g, hello.rank, hello.workerId), a.serverNonce, hello.clientNonce);
    a.conn.send(message("peerWelcome", { proof })).then(
      () => claim.resolve(a.conn),
      (err) => claim.reject(new PeerLostError(hello.rank, `closed during the handshake: ${err.message}`)),
    );
  }

  private retireBelow(g: number): void {
    if (g <= this.newestGeneration) return;
    this.newestGeneration = g;
    for (const [k, a] of this.arrivals) {
      if (a.hello.g >= g) continue;
      this.arrivals.delete(k);
      clearTimeout(a.timer);
      a.conn.fail(staleGeneration(a.hello.g, g));
    }
    for (const claim of [...this.claims.values()]) {
      if (claim.g < g) this.cancelAccept(claim.g, claim.rank, new Error(`superseded by generation ${g}`));
    }
  }
}

function staleGeneration(g: number, newest: number): ProtocolError {
  return protocolError("VAE_ERR_STALE_GENERATION", `peerHello.g ${g}: generation ${newest} has started`);
}
