// WebSocket settings shared by every socket of the cluster, and the check that
// ws runs with its native masking helper.
//
// - maxPayload on every server and client: ws refuses a frame whose header
//   announces more before buffering a byte of it (closes with 1009).
// - perMessageDeflate off: measured, deflate cost ~60 ms per 2.6 MB gradient
//   to save 27 % of the bytes — a bad trade on a LAN.
// - bufferutil: without it ws masks client frames in JS at ~270 MB/s, making a
//   2.6 MB round trip ~3× slower. ws loads it by itself when it is installed.
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { createRequire } from "node:module";
import { WebSocketServer, type ClientOptions, type ServerOptions } from "ws";
import { CONTROL_MAX_PAYLOAD, HANDSHAKE_TIMEOUT_MS, PEER_MAX_PAYLOAD } from "./limits.ts";

/** `control`: /cluster, coordinator ⇄ worker. `peer`: /peer, ring neighbours. */
export type SocketKind = "control" | "peer";

export const MAX_PAYLOAD: Record<SocketKind, number> = { control: CONTROL_MAX_PAYLOAD, peer: PEER_MAX_PAYLOAD };
export const SOCKET_PATHS: Record<SocketKind, string> = { control: "/cluster", peer: "/peer" };

export function wsServerOptions(kind: SocketKind): ServerOptions {
  return { maxPayload: MAX_PAYLOAD[kind], perMessageDeflate: false };
}

// Note [Unmasked peer frames]
// RFC 6455 makes clients mask frames so that a browser's traffic cannot poison
// proxy caches. Peer sockets connect two of our own processes, never a
// browser, so their client side uses an all-zero mask, which ws recognises and
// skips on both ends: no XOR pass over every gradient byte. The control
// channel keeps random masks.
const zeroMask = (mask: Buffer) => void mask.fill(0);

export function wsClientOptions(kind: SocketKind, extra: ClientOptions = {}): ClientOptions {
  return {
    maxPayload: MAX_PAYLOAD[kind],
    perMessageDeflate: false,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    ...(kind === "peer" ? { generateMask: zeroMask } : {}), // See Note [Unmasked peer frames]
    ...extra,
  };
}

/**
 * A WebSocket server for `kind` on `path` (default /cluster or /peer): on an
 * existing http(s) server, or on its own port (0 = ephemeral). Resolves once
 * listening.
 */
export async function createWsServer(
  kind: SocketKind,
  where: { server: HttpServer | HttpsServer; path?: string } | { port: number; host?: string; path?: string },
): Promise<WebSocketServer> {
  const path = where.path ?? SOCKET_PATHS[kind];
  if ("server" in where) return new WebSocketServer({ ...wsServerOptions(kind), server: where.server, path });
  const wss = new WebSocketServer({ ...wsServerOptions(kind), port: where.port, host: where.host ?? "127.0.0.1", path });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  return wss;
}

/** The port a server created by createWsServer({port}) listens on. */
export function wsServerPort(wss: WebSocketServer): number {
  const addr = wss.address();
  if (addr === null || typeof addr === "string") throw new Error("WebSocket server is not listening on a TCP port");
  return addr.port;
}

/** Whether ws masks with bufferutil's native code ("native"), its JS fallback, or without it. */
export function bufferutilStatus(): "native" | "fallback" | "missing" | "disabled" {
  if (process.env.WS_NO_BUFFER_UTIL) return "disabled";
  try {
    // Resolve bufferutil the way ws does: from ws's own location.
    const require = createRequire(createRequire(import.meta.url).resolve("ws"));
    const { mask } = require("bufferutil") as { mask: (...args: unknown[]) => void };
    return Function.prototype.toString.call(mask).includes("[native code]") ? "native" : "fallback";
  } catch {
    return "missing";
  }
}
