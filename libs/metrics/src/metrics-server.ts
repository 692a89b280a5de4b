// Serving a registry over HTTP: either as one route of a server the caller
// already runs (the coordinator's `/metrics`), or on a small server of its own
// (a worker's `--metrics-port`).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/**
 * Answers one request with the registry's text exposition. The caller routes;
 * this only checks the method (GET or HEAD, else 405).
 */
export async function serveMetrics(registry: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
    res.end(`method ${req.method} not allowed on ${req.url}; use GET\n`);
    return;
  }
  try {
    const body = await registry.metrics();
    res.writeHead(200, { "content-type": registry.contentType });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch (err) {
    // A collector threw: say so instead of serving a partial scrape.
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
    res.end(`collecting metrics failed: ${(err as Error).message}\n`);
  }
}

export interface MetricsServerOptions {
  /** 0 (the default) picks a free port; read the bound one from `port`. */
  port?: number;
  /** Defaults to 127.0.0.1; containers pass 0.0.0.0 so Prometheus can reach it. */
  host?: string;
}

export interface MetricsServer {
  readonly host: string;
  /** The port actually bound (differs from the requested one when that was 0). */
  readonly port: number;
  /** e.g. `http://127.0.0.1:9100/metrics` */
  readonly url: string;
  /** Stops listening and drops open (keep-alive) connections, freeing the port. */
  close(): Promise<void>;
}

/** Starts an HTTP server that serves `registry` at `/metrics` and 404s everything else. */
export function startMetricsServer(registry: Registry, options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const { port = 0, host = "127.0.0.1" } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(new RangeError(`metrics port must be an integer in [0, 65535], got ${port}`));
  }
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (path === "/metrics") {
      void serveMetrics(registry, req, res);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end(`no route ${path}; metrics are at /metrics\n`);
  });

  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(new Error(`metrics server could not listen on ${host}:${port}: ${err.code ?? err.message}`, { cause: err }));
    });
    server.listen(port, host, () => {
      const bound = (server.address() as AddressInfo).port;
      const urlHost = host.includes(":") ? `[${host}]` : host;
      let closing: Promise<void> | null = null;
      resolve({
        host,
        port: bound,
        url: `http://${urlHost}:${bound}/metrics`,
        close() {
          closing ??= new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections(); // Prometheus keeps its connection alive between scrapes
          });
          return closing;
        },
      });
    });
  });
}
