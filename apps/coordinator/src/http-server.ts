import { createServer as createPlainServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { readFileSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import { serveMetrics, serviceDiscoveryTargets } from "@vae/metrics";
import type { Registry } from "prom-client";

export interface HttpRoutes {
  status(): unknown;
  workers(): { rank: number | null; workerId: string; host: string; metricsPort: number | null }[];
  registry: Registry;
  /** Serves the dashboard and its assets; returns false for paths it does not know. */
  dashboard?(req: IncomingMessage, res: ServerResponse): boolean;
}

export interface HttpOptions {
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/**
 * The coordinator's one port: `/healthz`, `/api/status`, `/api/sd`, `/metrics`,
 * the dashboard (`/`, its files, `/api/events`, `/samples.png`: see
 * dashboard.ts), and (added by the control server) the `/cluster` upgrade.
 * Read-only: every route is GET/HEAD.
 */
export function createHttpServer(opts: HttpOptions, routes: HttpRoutes): Server {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end(`method ${req.method} not allowed: this server is read-only\n`);
      return;
    }
    switch (path) {
      case "/healthz":
        return json(res, 200, { status: "ok" });
      case "/api/status":
        return json(res, 200, routes.status());
      case "/api/sd":
        return json(res, 200, serviceDiscoveryTargets(routes.workers().filter((w) => w.rank !== null) as { rank: number; workerId: string; host: string; metricsPort: number | null }[]));
      case "/metrics":
        void serveMetrics(routes.registry, req, res);
        return;
    }
    if (routes.dashboard?.(req, res)) return;
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end(`no route ${path}\n`);
  };
  if (opts.tlsCert || opts.tlsKey) {
    if (!opts.tlsCert || !opts.tlsKey) throw new Error("--tls-cert and --tls-key go together: give both or neither");
    return createHttpsServer({ cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) }, handler);
  }
  return createPlainServer(handler);
}

/** Listens and resolves with the bound port (the requested one, or a free one for 0). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes the server and every open connection, freeing the port. */
export function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
    server.closeAllConnections?.();
  });
}
