// Server-sent events (the WHATWG HTML "EventSource" format): the dashboard's
// push channel. One long GET per open page; each message is
//   event: <name>\ndata: <one line of JSON>\n\n
// A comment line every `keepAliveMs` keeps proxies and idle timeouts from
// closing a quiet stream. The browser reconnects by itself after
// `retryMs`, and every (re)connection starts with a snapshot, so a page never
// has to reconcile missed events.
import type { IncomingMessage, ServerResponse } from "node:http";

export const EVENT_STREAM_DEFAULTS = Object.freeze({
  keepAliveMs: 15_000, // comment line on an idle stream
  retryMs: 2_000, // the browser's reconnect delay after the coordinator went away
  maxClients: 64, // open pages at once; more get 503 (each holds a socket)
});

export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(private readonly opts: { keepAliveMs: number; retryMs: number; maxClients: number } = EVENT_STREAM_DEFAULTS) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the response as an event stream and sends `first` (the snapshot) on it. */
  open(req: IncomingMessage, res: ServerResponse, first: { event: string; data: unknown }): void {
    if (this.clients.size >= this.opts.maxClients) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "10" });
      res.end(`too many open dashboards (${this.opts.maxClients}); close one and reload\n`);
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no", // nginx: do not buffer the stream
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    req.socket.setNoDelay(true);
    res.write(`retry: ${this.opts.retryMs}\n\n`);
    res.write(frame(first.event, first.data));
    this.clients.add(res);
    res.on("close", () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopKeepAlive();
    });
    this.startKeepAlive();
  }

  /** Sends one event to every open page. */
  broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const text = frame(event, data);
    for (const res of this.clients) res.write(text);
  }

  /** Ends every stream (the coordinator is shutting down). */
  closeAll(): void {
    this.stopKeepAlive();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private startKeepAlive(): void {
    if (this.keepAlive) return;
    this.keepAlive = setInterval(() => {
      for (const res of this.clients) res.write(": keep-alive\n\n");
    }, this.opts.keepAliveMs);
    this.keepAlive.unref();
  }

  private stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }
}

/** One SSE message. JSON.stringify never emits a raw newline, so `data` stays one line. */
export function frame(event: string, data: unknown): string {
  if (!/^[a-z][a-z-]*$/.test(event)) throw new Error(`event name must be lowercase letters and dashes, got "${event}"`);
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
