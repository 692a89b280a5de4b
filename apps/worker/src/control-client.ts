// The worker's side of /cluster: dial, prove the token, check the coordinator's
// proof, receive the run config, then feed every message to the WorkerNode.
// A lost coordinator is redialled with exponential backoff plus jitter, so a
// coordinator restarted with --resume is rejoined (DESIGN §4).
import type { Logger } from "@vae/logging";
import { PROTOCOL_VERSION, ProtocolError, connect, joinCluster, type Connection } from "@vae/protocol";

export interface Identity {
  workerId: string;
  /** The address peers and Prometheus reach this worker at; "" = the local address of this connection. */
  host: string;
  backend: string;
  peer: { host: string; port: number };
  metricsPort: number | null;
  /** Only the settings this worker was explicitly given; the coordinator refuses a mismatch. */
  expect: { dataset?: string; seed?: number; model?: Record<string, unknown> };
}

export interface SessionHandlers {
  /** The connection, as soon as it is open (before the handshake). */
  onConnected(conn: Connection<"toWorker">): void;
  /** Called after each successful handshake, with the run's id and config. */
  onWelcome(runId: string, config: unknown): void;
  /** Every later message from the coordinator. */
  onMessage(msg: Record<string, any>, conn: Connection<"toWorker">): void;
  /** Validation context for incoming messages (known once the model is). */
  context(): { paramCount?: number; gradientLength?: number; compress?: "none" | "fp16" };
  generation(): number | undefined;
  onRejected(err: ProtocolError): void;
}

/** Errors after which retrying cannot help: the user must change something. */
const FATAL_CODES = new Set(["VAE_ERR_AUTH", "VAE_ERR_CONFIG_MISMATCH", "VAE_ERR_VERSION"]);

export class FatalSessionError extends Error {
  override readonly name = "FatalSessionError";
}

export function controlUrl(coordinator: string): string {
  const url = new URL(coordinator);
  if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new Error(`--coordinator must be a ws:// or wss:// URL, got "${coordinator}"`);
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/cluster";
  return url.toString();
}

/** One connection's life: handshake, then messages until it closes. Resolves with how it ended. */
export async function runSession(url: string, token: string, id: Identity, handlers: SessionHandlers, log: Logger): Promise<{ stopped: boolean; reason: string }> {
  const conn = await connect(url, "control", {
    channel: "toWorker",
    context: handlers.context,
    generation: handlers.generation,
    onRejected: handlers.onRejected,
  });
  handlers.onConnected(conn);
  // The interface this host reaches the coordinator through is the one its peers can reach it on.
  const host = id.host || conn.localAddress || "127.0.0.1";
  let welcome;
  try {
    welcome = await joinCluster(conn, token, {
      workerId: id.workerId,
      host,
      pid: process.pid,
      backend: id.backend,
      peer: { host, port: id.peer.port },
      metricsPort: id.metricsPort,
      expect: { ...id.expect, protocolVersion: PROTOCOL_VERSION },
    });
  } catch (err) {
    if (err instanceof ProtocolError && FATAL_CODES.has(err.code)) throw new FatalSessionError(`${err.code}: ${err.message}`);
    throw err;
  }
  handlers.onWelcome(welcome.runId, welcome.config);
  log.info(`joined the coordinator at ${url} as ${id.workerId}`);
  let stopReason: string | null = null;
  let refusal: string | null = null;
  conn.onMessage((msg) => {
    if (msg.type === "stop") {
      stopReason = msg.reason;
      conn.close(1000, "stopping");
      return;
    }
    if (msg.type === "error") {
      log.error(`coordinator error ${msg.code}: ${msg.message}`);
      if (FATAL_CODES.has(msg.code)) refusal = `${msg.code}: ${msg.message}`;
      return;
    }
    handlers.onMessage(msg as Record<string, any>, conn);
  });
  conn.startHeartbeat(4_000, 15_000);
  const info = await conn.closed;
  if (stopReason !== null) return { stopped: true, reason: stopReason };
  if (refusal !== null) throw new FatalSessionError(refusal);
  return { stopped: false, reason: info.error ? `${info.error.code}: ${info.error.message}` : `close code ${info.code}${info.reason ? ` (${info.reason})` : ""}` };
}

/** Exponential backoff with jitter: base·2^attempt capped at max, times a random factor in [1, 1.5). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.min(maxMs, baseMs * 2 ** attempt) * (1 + random() * 0.5);
}
