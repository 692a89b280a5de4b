// The baseline transport of the benchmark: the same ring algorithm over plain
// TCP (node:net) with a 4-byte length prefix per message — no WebSocket
// framing, no msgpack, no validation. Each rank dials its successor and
// accepts its predecessor; received payloads are copied once, straight into a
// fresh aligned Float32Array.
import net from "node:net";
import { PeerLostError, type PeerLink } from "@vae/allreduce";

export class RawTcpRing {
  private readonly queue: Float32Array[] = [];
  private waiter: { resolve: (x: Float32Array) => void; reject: (e: Error) => void } | null = null;
  private error: Error | null = null;
  // receive state: a partial header, then the payload being filled
  private header = Buffer.alloc(4);
  private headerFill = 0;
  private payload: Uint8Array | null = null;
  private payloadFill = 0;

  private constructor(
    readonly rank: number,
    readonly worldSize: number,
    private readonly out: net.Socket,
    private readonly inbound: net.Socket,
  ) {
    inbound.on("data", (chunk: Buffer) => this.onData(chunk));
    for (const [s, peer] of [[inbound, (rank - 1 + worldSize) % worldSize], [out, (rank + 1) % worldSize]] as const) {
      s.on("error", () => {});
      s.on("close", () => this.fail(new PeerLostError(peer, "raw TCP socket closed")));
    }
  }

  /** Listens for the predecessor on `server` (already listening) and dials the successor at `succPort`. */
  static async open(rank: number, worldSize: number, server: net.Server, succPort: number): Promise<RawTcpRing> {
    const inbound = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
    const out = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ port: succPort, host: "127.0.0.1", noDelay: true }, () => resolve(s));
      s.once("error", reject);
    });
    const inSock = await inbound;
    inSock.setNoDelay(true);
    return new RawTcpRing(rank, worldSize, out, inSock);
  }

  link(): PeerLink {
    return {
      rank: this.rank,
      worldSize: this.worldSize,
      send: (_to, data) => this.send(data),
      recv: () => this.recv(),
      abort: (reason) => this.fail(reason),
    };
  }

  close(): void {
    this.out.destroy();
    this.inbound.destroy();
  }

  private send(data: Float32Array): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(data.byteLength);
    // The socket keeps a reference to `data` until written, so resolve only then (PeerLink.send's contract).
    return new Promise((resolve, reject) => {
      this.out.cork();
      this.out.write(head);
      this.out.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), (err) => (err ? reject(err) : resolve()));
      this.out.uncork();
    });
  }

  private recv(): Promise<Float32Array> {
    if (this.error) return Promise.reject(this.error);
    const head = this.queue.shift();
    if (head) return Promise.resolve(head);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private onData(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.payload === null) {
        const take = Math.min(4 - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + take);
        this.headerFill += take;
        off += take;
        if (this.headerFill < 4) return;
        this.headerFill = 0;
        this.payload = new Uint8Array(this.header.readUInt32LE(0));
        this.payloadFill = 0;
      }
      const take = Math.min(this.payload.length - this.payloadFill, chunk.length - off);
      this.payload.set(chunk.subarray(off, off + take), this.payloadFill);
      this.payloadFill += take;
      off += take;
      if (this.payloadFill === this.payload.length) {
        this.deliver(new Float32Array(this.payload.buffer));
        this.payload = null;
      }
    }
  }

  private deliver(x: Float32Array): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w.resolve(x);
    } else {
      this.queue.push(x);
    }
  }

  private fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    this.waiter?.reject(err);
    this.waiter = null;
    this.close();
  }
}
