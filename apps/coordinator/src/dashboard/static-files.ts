// The dashboard's files: apps/coordinator/public/* and the charting library
// (uPlot, from node_modules) under /vendor/, so the page works offline with no
// CDN. Requests are matched against a fixed table built at start-up from the
// directory listing; a request path is never joined onto a file system path,
// so no URL (`/../`, `%2e%2e`, `\`, absolute paths) can reach another file.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IncomingMessage, ServerResponse } from "node:http";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/**
 * What the page may load: its own origin only. Scripts are files (no inline
 * script); uPlot sizes its elements through inline styles, hence
 * 'unsafe-inline' for styles alone.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const PUBLIC_DIR = fileURLToPath(new URL("../../public/", import.meta.url));

interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** The files the dashboard serves, by URL path. */
export function staticFileTable(publicDir = PUBLIC_DIR): Map<string, string> {
  const table = new Map<string, string>();
  for (const name of readdirSync(publicDir)) {
    // Plain names only: nothing hidden, no sub-directories, a known type.
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(name) || !(extname(name) in CONTENT_TYPES)) continue;
    table.set(`/${name}`, join(publicDir, name));
  }
  const index = table.get("/index.html");
  if (index) table.set("/", index);
  const uplot = join(dirname(createRequire(import.meta.url).resolve("uplot/package.json")), "dist");
  table.set("/vendor/uPlot.esm.js", join(uplot, "uPlot.esm.js"));
  table.set("/vendor/uPlot.min.css", join(uplot, "uPlot.min.css"));
  return table;
}

export class StaticFiles {
  private readonly cache = new Map<string, StaticFile>();

  constructor(private readonly table: Map<string, string> = staticFileTable()) {}

  get paths(): string[] {
    return [...this.table.keys()];
  }

  /** Serves `path` if it is in the table; returns false otherwise. */
  serve(path: string, req: IncomingMessage, res: ServerResponse): boolean {
    const file = this.load(path);
    if (!file) return false;
    res.writeHead(200, {
      "content-type": file.contentType,
      "content-length": file.body.length,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      ...(file.contentType.startsWith("text/html") ? { "content-security-policy": CONTENT_SECURITY_POLICY, "referrer-policy": "no-referrer" } : {}),
    });
    res.end(req.method === "HEAD" ? undefined : file.body);
    return true;
  }

  private load(path: string): StaticFile | null {
    const cached = this.cache.get(path);
    if (cached) return cached;
    const file = this.table.get(path);
    if (!file) return null;
    // Read once: the files are small and do not change while the coordinator runs.
    const entry = { body: readFileSync(file), contentType: CONTENT_TYPES[extname(file)]! };
    this.cache.set(path, entry);
    return entry;
  }
}
