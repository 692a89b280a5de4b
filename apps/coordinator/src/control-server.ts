// The /cluster WebSocket endpoint: authenticates each worker (challenge–response,
// the token never crosses the wire), refuses a worker whose settings differ from
// the run's, then hands the connection to the coordinator as a WorkerChannel.
import type { Server } from "node:http";
import type { WebSocketServer } from "ws";
import type { Logger } from "@vae/logging";
import {
  Connection,
  acceptHello,
  configMismatch,
  createWsServer,
  message,
  protocolError,
  welcomeFor,
  type AcceptedHello,
  type Message,
  type ProtocolError,
} from "@vae/protocol";
import type { RunConfig } from "@vae/training";
import type { Coordinator } from "./coordinator.ts";

export interface ControlServerOptions {
  token: string;
  config: RunConfig;
  runId: string;
  paramCount: number;
  gradientLength: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  onRejected(err: ProtocolError): void;
}

export async function startControlServer(server: Server, coordinator: Coordinator, opts: ControlServerOptions, log: Logger): Promise<WebSocketServer> {
  const wss = await createWsServer("control", { server });
  wss.on("connection", (ws) => {
    const conn = new Connection(ws, {
      channel: "toCoordinator",
      context: () => ({ paramCount: opts.paramCount, gradientLength: opts.gradientLength, compress: coordinator.opts.compress }),
      onRejected: (err) => {
        log.warn(`rejected a message from ${conn.remote}: ${err.code}: ${err.message}`);
        opts.onRejected(err);
      },
      generation: () => coordinator.generation,
      onStale: () => opts.onRejected(protocolError("VAE_ERR_STALE_GENERATION", "stale")),
    });
    void admit(conn).catch((err) => {
      if (conn.isOpen) conn.fail(protocolError("VAE_ERR_INTERNAL", (err as Error).message));
    });
  });

  async function admit(conn: Connection<"toCoordinator">): Promise<void> {
    let accepted: AcceptedHello;
    try {
      accepted = await acceptHello(conn, opts.token);
    } catch {
      return; // timed out, closed, or refused: the Connection already answered and closed
    }
    const { hello } = accepted;
    const mismatch = configMismatch(hello.expect, { dataset: opts.config.dataset, seed: opts.config.seed, model: opts.config.model as unknown as Record<string, unknown> });
    if (mismatch) {
      log.warn(`refused worker ${hello.workerId} from ${conn.remote}: ${mismatch.message}`);
      return conn.fail(mismatch);
    }
    if (coordinator.membership.has(hello.workerId)) {
      return conn.fail(protocolError("VAE_ERR_INVALID_FIELD", `hello.workerId: "${hello.workerId}" is already connected; give each worker its own --id`));
    }
    await conn.send(welcomeFor(opts.token, accepted, opts.config as unknown as Record<string, unknown>, opts.runId));
    const workerId = hello.workerId;
    coordinator.addWorker(
      { workerId, host: hello.host, pid: hello.pid, backend: hello.backend, peerHost: hello.peer.host, peerPort: hello.peer.port, metricsPort: hello.metricsPort },
      {
        send: (m) => void conn.send(message(m.type as any, m as any) as Message).catch(() => {}),
        close: (code, reason) => (code === 1001 && reason !== "coordinator stopping" ? conn.terminate() : conn.close(code, reason)),
        // A refusal the worker must not retry past (it exits and says why).
        refuse: (text) => conn.fail(protocolError("VAE_ERR_CONFIG_MISMATCH", text)),
      },
    );
    conn.onMessage((msg) => coordinator.handleMessage(workerId, msg as Record<string, any>));
    conn.startHeartbeat(opts.heartbeatIntervalMs, opts.heartbeatTimeoutMs);
    const info = await conn.closed;
    const reason = info.heartbeatTimeout ? "heartbeat" : info.error ? "rejected" : "closed";
    const detail = info.error ? `${info.error.code}: ${info.error.message}` : info.heartbeatTimeout ? `no pong for ${opts.heartbeatTimeoutMs} ms` : `close code ${info.code}${info.reason ? ` (${info.reason})` : ""}`;
    coordinator.removeWorker(workerId, reason, detail);
  }

  return wss;
}
