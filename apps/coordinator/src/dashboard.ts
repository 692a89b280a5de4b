// The coordinator's own web dashboard (DESIGN §2, `/`): one static page
// (apps/coordinator/public) that draws with uPlot and listens to
// /api/events, a server-sent event stream fed by the coordinator's events
// (see dashboard/feed.ts). Read-only: the page only GETs.
//   /                     the page (index.html), its .js and .css files
//   /vendor/uPlot.*       the charting library, from node_modules (no CDN)
//   /api/events           the event stream: a snapshot, then changes
//   /samples.png          the latest sample grid (rank 0 renders it each epoch)
//   /reconstructions.png  the latest test images above their reconstructions (likewise)
import type { IncomingMessage, ServerResponse } from "node:http";
import { EventStream } from "./dashboard/event-stream.ts";
import { DashboardFeed } from "./dashboard/feed.ts";
import { StaticFiles } from "./dashboard/static-files.ts";
import type { Status } from "./status.ts";

export interface DashboardSource {
  status(): Status;
  /** The latest sample grid as PNG bytes, or null before the first epoch ends. */
  samplesPng(): Uint8Array | null;
  /** The latest reconstruction figure as PNG bytes, or null before the first epoch ends. */
  reconstructionsPng(): Uint8Array | null;
}

export interface Dashboard {
  /** Feed it the coordinator's events. */
  readonly feed: DashboardFeed;
  /** Serves the dashboard's paths; returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Ends every open event stream (before the HTTP server closes). */
  close(): void;
}

export function createDashboard(source: DashboardSource, files = new StaticFiles()): Dashboard {
  const stream = new EventStream();
  const feed = new DashboardFeed(stream, source.status);
  return {
    feed,
    handle(req, res) {
      const path = (req.url ?? "/").split("?", 1)[0]!;
      if (path === "/api/events") {
        stream.open(req, res, { event: "snapshot", data: feed.snapshot() });
        return true;
      }
      if (path === "/samples.png") {
        servePng(source.samplesPng(), req, res);
        return true;
      }
      if (path === "/reconstructions.png") {
        servePng(source.reconstructionsPng(), req, res);
        return true;
      }
      return files.serve(path, req, res);
    },
    close() {
      feed.close();
      stream.closeAll();
    },
  };
}

function servePng(png: Uint8Array | null, req: IncomingMessage, res: ServerResponse): void {
  if (!png) {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end("no figure yet: figures are rendered at the end of each epoch\n");
    return;
  }
  res.writeHead(200, { "content-type": "image/png", "content-length": png.byteLength, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(req.method === "HEAD" ? undefined : Buffer.from(png.buffer, png.byteOffset, png.byteLength));
}
