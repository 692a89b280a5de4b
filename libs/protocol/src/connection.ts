// One WebSocket of the cluster, wrapped so that the application only ever sees
// valid, typed messages: every binary frame is decoded and validated (against
// the channel and the receiver's current expectations) before use. A bad
// message gets an `error {code, message}` reply, the socket is closed with the
// error's close code, and the rejection is reported through `onRejected` (for
// `vae_rejected_messages_total{reason}`); nothing is thrown into the process.
//
// Messages are read either by pulling (`receive()`, for handshakes) or by a
// handler (`onMessage()`, afterwards); messages that arrive in between wait in
// a bounded queue.
import { WebSocket, type ClientOptions } from "ws";
import { decode, encode, encodeLeased } from "./codec.ts";
import { protocolError, ProtocolError } from "./errors.ts";
import { CLOSE_GRACE_MS, MAX_QUEUED_MESSAGES, SEND_HIGH_WATER_MARK } from "./limits.ts";
import { message, type Channel, type ChannelMessage, type Message } from "./messages.ts";
import type { ValidationContext } from "./schema.ts";
import { wsClientOptions, type SocketKind } from "./sockets.ts";
import { validateMessage } from "./validate.ts";

export interface ConnectionOptions<C extends Channel> {
  /** Which messages this end accepts. */
  channel: C;
  /** The receiver's current expectations (lengths, compression), read for every message. */
  context?: () => ValidationContext;
  /** Called once per rejected incoming message or frame, after the reply and close. */
  onRejected?: (err: ProtocolError) => void;
  /** The current generation: messages carrying an older `g` are dropped (and passed to `onStale`), not delivered. */
  generation?: () => number | undefined;
  onStale?: (msg: ChannelMessage<C>) => void;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** Set when this side closed it because of a bad message, a timeout or a handler failure. */
  error?: ProtocolError;
  /** Set when this side closed it because pongs stopped. */
  heartbeatTimeout?: boolean;
}

/** The connection closed before the awaited message arrived. */
export class ConnectionClosedError extends Error {
  override readonly name = "ConnectionClosedError";
  constructor(readonly info: CloseInfo) {
    super(`connection closed (${info.code}${info.reason ? ` ${info.reason}` : ""})`);
  }
}

interface Waiter<T> {
  resolve: (m: T) => void;
  reject: (e: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/** RFC 6455 allows 123 bytes of close reason. */
function closeReason(text: string): string {
  let s = text;
  while (Buffer.byteLength(s) > 123) s = s.slice(0, -1);
  return s;
}

export class Connection<C extends Channel> {
  /** Settles when the socket has closed, however it closed. */
  readonly closed: Promise<CloseInfo>;
  private resolveClosed!: (info: CloseInfo) => void;
  private closeInfo: CloseInfo | null = null;
  private failure: ProtocolError | null = null;
  private readonly queue: ChannelMessage<C>[] = [];
  private waiter: Waiter<ChannelMessage<C>> | null = null;
  private handler: ((msg: ChannelMessage<C>) => void | Promise<void>) | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private heartbeatDead = false;
  private lastHeard = performance.now();

  constructor(
    readonly ws: WebSocket,
    private readonly opts: ConnectionOptions<C>,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    ws.binaryType = "nodebuffer";
    ws.on("message", (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    ws.on("pong", () => (this.lastHeard = performance.now()));
    ws.on("error", (err) => this.onSocketError(err as Error & { code?: string }));
    ws.on("close", (code, reason) => this.onClose(code, reason.toString()));
    if (ws.readyState === WebSocket.CLOSED) this.onClose(1006, "closed before use");
  }

  /** Replaces the expectations incoming messages are validated against (e.g. once a generation is known). */
  setContext(context: () => ValidationContext): void {
    this.opts.context = context;
  }

  get isOpen(): boolean {
    return this.closeInfo === null && this.failure === null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes queued on the socket, not yet written. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** This end's IP address on the connection (the interface that routes to the other end), or null. */
  get localAddress(): string | null {
    const s = (this.ws as unknown as { _socket?: { localAddress?: string } })._socket;
    const a = s?.localAddress;
    if (!a) return null;
    return a.startsWith("::ffff:") ? a.slice(7) : a; // an IPv4 peer on a dual-stack socket
  }

  /** "host:port" of the other end, for logs. */
  get remote(): string {
    const s = (this.ws as unknown as { _socket?: { remoteAddress?: string; remotePort?: number } })._socket;
    return s?.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : "unknown";
  }

  /**
   * Encodes and sends `msg`. Resolves at once while less than
   * SEND_HIGH_WATER_MARK bytes are buffered, otherwise once written to the
   * socket; rejects when the connection is not open.
   */
  send(msg: Message): Promise<void> {
    if (!this.isOpen) return Promise.reject(new ConnectionClosedError(this.closeInfo ?? { code: 1006, reason: "not open" }));
    const encoded = encodeLeased(msg);
    return new Promise((resolve, reject) => {
      let settled = false;
      this.ws.send(encoded.bytes, { binary: true, compress: false }, (err) => {
        encoded.release(); // written (or failed): ws holds the bytes no more
        if (settled) return; // a late write error shows up as a close
        settled = true;
        if (err) reject(err);
        else resolve();
      });
      if (!settled && this.ws.bufferedAmount < SEND_HIGH_WATER_MARK) {
        settled = true;
        resolve();
      }
    });
  }

  /**
   * The next message (pull mode, e.g. during a handshake). On timeout the
   * connection is failed with VAE_ERR_TIMEOUT and the promise rejects with it;
   * it rejects with ConnectionClosedError when the socket closes first.
   */
  receive(timeoutMs?: number): Promise<ChannelMessage<C>> {
    if (this.handler) return Promise.reject(new Error("receive() after onMessage(): the connection is in push mode"));
    if (this.waiter) return Promise.reject(new Error("receive() while another receive() is pending"));
    const head = this.queue.shift();
    if (head) return Promise.resolve(head);
    if (this.failure) return Promise.reject(this.failure);
    if (this.closeInfo) return Promise.reject(new ConnectionClosedError(this.closeInfo));
    return new Promise((resolve, reject) => {
      const waiter: Waiter<ChannelMessage<C>> = { resolve, reject };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.fail(protocolError("VAE_ERR_TIMEOUT", `no message within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.waiter = waiter;
    });
  }

  /**
   * Switches to push mode: `handler` gets every queued and future message, in
   * order. A handler that throws (or rejects) fails the connection: with its
   * own code if it threw a ProtocolError (e.g. VAE_ERR_UNEXPECTED), else with
   * VAE_ERR_INTERNAL. Handlers are not awaited between messages.
   */
  onMessage(handler: (msg: ChannelMessage<C>) => void | Promise<void>): void {
    this.handler = handler;
    while (this.queue.length > 0 && !this.failure) this.dispatch(this.queue.shift()!);
  }

  /**
   * Rejects the connection: reports `err`, sends `error {code, message}`, and
   * closes with `err.closeCode`. Idempotent; the first error wins.
   */
  fail(err: ProtocolError): void {
    if (this.failure || this.closeInfo) return;
    this.failure = err;
    this.opts.onRejected?.(err);
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(encode(message("error", { code: err.code, message: err.message.slice(0, 2000) })), { binary: true });
      this.ws.close(err.closeCode, closeReason(`${err.code}: ${err.message}`));
      setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    } else {
      this.ws.terminate();
    }
    this.rejectWaiter(err);
  }

  /** Closes normally (1000 by default), giving the other side CLOSE_GRACE_MS to answer. */
  close(code = 1000, reason = ""): void {
    if (this.closeInfo) return;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, closeReason(reason));
      setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    }
  }

  /** Destroys the socket at once. */
  terminate(): void {
    this.ws.terminate();
  }

  /**
   * Pings every `intervalMs`; when nothing (pong or message) has been heard
   * for `timeoutMs` the socket is destroyed and `closed` reports
   * `heartbeatTimeout`. A stopped (SIGSTOP) process stops answering pings even
   * though its TCP connection stays up.
   */
  startHeartbeat(intervalMs: number, timeoutMs: number): void {
    if (this.heartbeatTimer || this.closeInfo) return;
    this.lastHeard = performance.now();
    this.heartbeatTimer = setInterval(() => {
      if (performance.now() - this.lastHeard > timeoutMs) {
        this.heartbeatDead = true;
        this.ws.terminate();
        return;
      }
      if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
    }, intervalMs);
    this.heartbeatTimer.unref();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.failure || this.closeInfo) return;
    this.lastHeard = performance.now();
    let msg: ChannelMessage<C>;
    try {
      if (!isBinary) throw protocolError("VAE_ERR_MALFORMED", "text frames are not accepted: send msgpack in binary frames");
      msg = validateMessage(decode(data), this.opts.channel, this.opts.context?.() ?? {});
    } catch (err) {
      this.fail(err instanceof ProtocolError ? err : protocolError("VAE_ERR_MALFORMED", String(err), { cause: err }));
      return;
    }
    const current = this.opts.generation?.();
    const g = (msg as Message & { g?: unknown }).g;
    if (current !== undefined && typeof g === "number" && g < current) {
      this.opts.onStale?.(msg);
      return;
    }
    if (this.handler) {
      this.dispatch(msg);
    } else if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      clearTimeout(w.timer);
      w.resolve(msg);
    } else if (this.queue.length >= MAX_QUEUED_MESSAGES) {
      this.fail(protocolError("VAE_ERR_TOO_BIG", `more than ${MAX_QUEUED_MESSAGES} messages waiting to be read`));
    } else {
      this.queue.push(msg);
    }
  }

  private dispatch(msg: ChannelMessage<C>): void {
    const handlerFailed = (err: unknown) => {
      if (err instanceof ProtocolError) this.fail(err);
      else this.fail(protocolError("VAE_ERR_INTERNAL", `handling "${(msg as Message).type}" failed: ${(err as Error)?.message ?? err}`, { cause: err }));
    };
    try {
      const result = this.handler!(msg);
      if (result && typeof result.then === "function") result.catch(handlerFailed);
    } catch (err) {
      handlerFailed(err);
    }
  }

  private onSocketError(err: Error & { code?: string }): void {
    // ws has already closed the socket with its own close code; report it like a bad message.
    if (!err.code?.startsWith("WS_ERR_") || this.failure) return;
    this.failure =
      err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"
        ? protocolError("VAE_ERR_TOO_BIG", `frame larger than maxPayload: ${err.message}`, { cause: err })
        : protocolError("VAE_ERR_MALFORMED", `invalid WebSocket frame: ${err.message}`, { cause: err });
    this.opts.onRejected?.(this.failure);
    this.rejectWaiter(this.failure);
  }

  private onClose(code: number, reason: string): void {
    if (this.closeInfo) return;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    const info: CloseInfo = { code, reason };
    if (this.failure) info.error = this.failure;
    if (this.heartbeatDead) {
      info.heartbeatTimeout = true;
      info.reason = reason || "no pong: the other side stopped answering";
    }
    this.closeInfo = info;
    this.rejectWaiter(this.failure ?? new ConnectionClosedError(info));
    this.resolveClosed(info);
  }

  private rejectWaiter(err: Error): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = null;
    clearTimeout(w.timer);
    w.reject(err);
  }
}

/**
 * Dials `url` and resolves with the open Connection. The Connection wraps the
 * socket before it opens, so a message the server sends together with the
 * upgrade (the challenge) cannot be missed. Rejects when the connection is
 * refused, answered without an upgrade, or not open within the handshake timeout.
 */
export function connect<C extends Channel>(
  url: string,
  kind: SocketKind,
  options: ConnectionOptions<C>,
  wsOptions: ClientOptions = {},
): Promise<Connection<C>> {
  const ws = new WebSocket(url, wsClientOptions(kind, wsOptions));
  const conn = new Connection(ws, options);
  return new Promise((resolve, reject) => {
    let cause: Error | undefined;
    ws.once("error", (err) => (cause = err));
    ws.once("open", () => resolve(conn));
    void conn.closed.then((info) => {
      reject(new Error(`cannot connect to ${url}: ${cause?.message ?? `closed (${info.code})`}`, { cause }));
    });
  });
}
