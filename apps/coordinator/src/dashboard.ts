import type { IncomingMessage, ServerResponse } from "node:http";
import type { Coordinator } from "./coordinator.ts";

/** The dashboard page and its assets. Returns false for paths that are not its own. */
export function serveDashboard(req: IncomingMessage, res: ServerResponse, coordinator: Coordinator): boolean {
  const path = (req.url ?? "/").split("?", 1)[0];
  if (path === "/samples.png") {
    const png = coordinator.lastSamplesPng;
    if (!png) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("no samples yet: they are rendered at the end of each epoch\n");
      return true;
    }
    res.writeHead(200, { "content-type": "image/png", "cache-control": "no-store" });
    res.end(Buffer.from(png));
    return true;
  }
  if (path === "/") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><meta charset="utf-8"><title>vae-cluster</title><h1>vae-cluster</h1><p>Status: <a href="/api/status">/api/status</a>, metrics: <a href="/metrics">/metrics</a>.</p><img src="/samples.png" alt="samples">`);
    return true;
  }
  return false;
}
