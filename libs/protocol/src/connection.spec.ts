// A real ws server and real clients on 127.0.0.1: bad clients get an `error`
// reply and a closed socket, and the server keeps serving good ones.
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, type WebSocketServer } from "ws";
import { decode, encode } from "./codec.ts";
import { Connection, connect, type CloseInfo } from "./connection.ts";
import { acceptHello, configMismatch, joinCluster, welcomeFor, type HelloFields } from "./control-handshake.ts";
import { ProtocolError } from "./errors.ts";
import { CONTROL_MAX_PAYLOAD } from "./limits.ts";
import { message, type ChannelMessage } from "./messages.ts";
import { bufferutilStatus, createWsServer, wsClientOptions, wsServerPort } from "./sockets.ts";
import { validMessages } from "./testing/fixtures.ts";

const TOKEN = "correct horse battery staple";
const CLUSTER = { dataset: "mnist", seed: 42, model: { arch: "mlp", hidden: [400], latent: 20 } };
const { hello: fixtureHello } = validMessages();
const HELLO: HelloFields = { ...fixtureHello, expect: { protocolVersion: 1 } };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface TestCoordinator {
  url: string;
  rejected: ProtocolError[];
  joined: string[];
  received: ChannelMessage<"toCoordinator">[];
  stale: number[];
}

async function startCoordinator(timeoutMs = 5_000): Promise<TestCoordinator> {
  const wss: WebSocketServer = await createWsServer("control", { port: 0 });
  cleanups.push(() => new Promise((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(r))));
  const t: TestCoordinator = { url: `ws://127.0.0.1:${wsServerPort(wss)}/cluster`, rejected: [], joined: [], received: [], stale: [] };
  wss.on("connection", (ws) => {
    const conn = new Connection(ws, {
      channel: "toCoordinator",
      onRejected: (e) => t.rejected.push(e),
      generation: () => 5,
      onStale: (m) => t.stale.push((m as { g: number }).g),
    });
    void (async () => {
      const accepted = await acceptHello(conn, TOKEN, timeoutMs);
      const mismatch = configMismatch(accepted.hello.expect, CLUSTER);
      if (mismatch) return conn.fail(mismatch);
      await conn.send(welcomeFor(TOKEN, accepted, { batchSize: 128 }, "run-1"));
      t.joined.push(accepted.hello.workerId);
      conn.onMessage((m) => {
        t.received.push(m);
        if (m.type === "stepFailed" && m.reason === "throw") throw new Error("handler bug");
      });
    })().catch(() => {});
  });
  return t;
}

const until = async (cond: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A client that speaks raw frames: collects decoded replies and the close code. */
async function rawClient(url: string) {
  const ws = new WebSocket(url, wsClientOptions("control"));
  cleanups.push(() => ws.terminate());
  const messages: Record<string, unknown>[] = [];
  ws.on("message", (data) => messages.push(decode(data as Buffer) as Record<string, unknown>));
  ws.on("error", () => {});
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  await until(() => messages.length > 0); // the challenge
  return { ws, messages, closed };
}

async function goodWorker(url: string, fields: HelloFields = HELLO) {
  const conn = await connect(url, "control", { channel: "toWorker" });
  cleanups.push(() => conn.terminate());
  const welcome = await joinCluster(conn, TOKEN, fields, 5_000);
  return { conn, welcome };
}


describe("Connection over real WebSockets", () => {
  it("rejects a garbage frame, an oversize frame and a text frame, and keeps serving a good client", { timeout: 20_000 }, async () => {
    const c = await startCoordinator();

    const garbage = await rawClient(c.url);
    garbage.ws.send(Buffer.from([0x92, 0x01]));
    expect(await garbage.closed).toBe(1003);
    expect(garbage.messages.map((m) => m.type)).toEqual(["challenge", "error"]);
    expect(garbage.messages[1]).toMatchObject({ code: "VAE_ERR_MALFORMED", message: expect.stringMatching(/not a msgpack message/) });

    const text = await rawClient(c.url);
    text.ws.send("hello");
    expect(await text.closed).toBe(1003);
    expect(text.messages[1]).toMatchObject({ code: "VAE_ERR_MALFORMED", message: expect.stringMatching(/text frames/) });

    // Above maxPayload ws refuses the frame from its header, before buffering it, and closes with 1009.
    const oversize = await rawClient(c.url);
    oversize.ws.send(Buffer.alloc(CONTROL_MAX_PAYLOAD + 1));
    expect(await oversize.closed).toBe(1009);

    // Below maxPayload but above a field's limit: an `error` reply, then 1009.
    const bigField = await rawClient(c.url);
    bigField.ws.send(encode({ ...fixtureHello, workerId: "w".repeat(10_000) }));
    expect(await bigField.closed).toBe(1009);
    expect(bigField.messages[1]).toMatchObject({ code: "VAE_ERR_TOO_BIG", message: expect.stringMatching(/hello\.workerId: a string of 10000 characters/) });

    await until(() => c.rejected.length === 4);
    expect(c.rejected.map((e) => e.code)).toEqual(["VAE_ERR_MALFORMED", "VAE_ERR_MALFORMED", "VAE_ERR_TOO_BIG", "VAE_ERR_TOO_BIG"]);

    const { welcome } = await goodWorker(c.url);
    expect(welcome.config).toEqual({ batchSize: 128 });
    expect(c.joined).toEqual(["w-1"]);
  });

  it("refuses a wrong token with VAE_ERR_AUTH and a closed socket, then admits the right one", { timeout: 10_000 }, async () => {
    const c = await startCoordinator();
    const conn = await connect(c.url, "control", { channel: "toWorker" });
    cleanups.push(() => conn.terminate());
    const err = await joinCluster(conn, "wrong token", HELLO, 5_000).catch((e) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: "VAE_ERR_AUTH", remote: true });
    expect(err.message).toMatch(/hello\.proof of worker "w-1" does not match: wrong cluster token/);
    expect((await conn.closed).code).toBe(1008);
    expect(c.rejected.map((e) => e.code)).toEqual(["VAE_ERR_AUTH"]);
    await goodWorker(c.url);
    expect(c.joined).toEqual(["w-1"]);
  });

  it("refuses a worker whose explicit settings differ, naming the field and both values", { timeout: 10_000 }, async () => {
    const c = await startCoordinator();
    const err = await goodWorker(c.url, { ...HELLO, expect: { protocolVersion: 1, dataset: "mnist", seed: 7 } }).catch((e) => e);
    expect(err).toMatchObject({ code: "VAE_ERR_CONFIG_MISMATCH" });
    expect(err.message).toMatch(/expect\.seed: the worker was started with 7, the cluster runs 42/);
    expect((await goodWorker(c.url, { ...HELLO, expect: { protocolVersion: 1, ...CLUSTER } })).welcome.workerId).toBe("w-1");
  });

  it("times out a silent client with VAE_ERR_TIMEOUT", { timeout: 10_000 }, async () => {
    const c = await startCoordinator(200);
    const silent = await rawClient(c.url);
    expect(await silent.closed).toBe(1008);
    expect(silent.messages[1]).toMatchObject({ code: "VAE_ERR_TIMEOUT" });
  });

  it("drops messages of older generations and fails a connection whose handler throws (1011)", { timeout: 10_000 }, async () => {
    const c = await startCoordinator();
    const { conn } = await goodWorker(c.url);
    await conn.send(message("stepFailed", { g: 4, step: 1, reason: "old" }));
    await conn.send(message("stepFailed", { g: 5, step: 1, reason: "current" }));
    await until(() => c.received.length === 1);
    expect(c.stale).toEqual([4]);
    expect(c.received[0]).toMatchObject({ g: 5, reason: "current" });
    const replies: ChannelMessage<"toWorker">[] = [];
    conn.onMessage((m) => void replies.push(m));
    await conn.send(message("stepFailed", { g: 5, step: 2, reason: "throw" }));
    const closed: CloseInfo = await conn.closed;
    expect(closed.code).toBe(1011);
    expect(replies[0]).toMatchObject({ type: "error", code: "VAE_ERR_INTERNAL", message: expect.stringMatching(/handling "stepFailed" failed: handler bug/) });
  });

  it("declares a connection dead when pongs stop (as with a SIGSTOPped process)", { timeout: 10_000 }, async () => {
    const wss = await createWsServer("control", { port: 0 });
    cleanups.push(() => new Promise((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(r))));
    const serverSide = new Promise<Connection<"toCoordinator">>((resolve) =>
      wss.on("connection", (ws) => resolve(new Connection(ws, { channel: "toCoordinator" }))),
    );
    const client = new WebSocket(`ws://127.0.0.1:${wsServerPort(wss)}/cluster`, wsClientOptions("control", { autoPong: false }));
    cleanups.push(() => client.terminate());
    const conn = await serverSide;
    const t0 = performance.now();
    conn.startHeartbeat(50, 300);
    const info = await conn.closed;
    expect(info.heartbeatTimeout).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it("runs ws with bufferutil's native masking", () => {
    expect(bufferutilStatus()).toBe("native");
  });
});
