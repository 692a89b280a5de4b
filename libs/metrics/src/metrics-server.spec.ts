import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createWorkerMetrics } from "./worker-metrics.ts";
import { serveMetrics, startMetricsServer, type MetricsServer } from "./metrics-server.ts";

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options = {}) {
  const m = createWorkerMetrics();
  m.stepsTotal.inc(3);
  const server = await startMetricsServer(m.registry, options);
  servers.push(server);
  return server;
}

describe("startMetricsServer", () => {
  it("serves the registry at /metrics on an ephemeral port", async () => {
    const server = await start();
    expect(server.port).toBeGreaterThan(0);
    const res = await fetch(server.url, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toMatch(/^vae_steps_total 3$/m);
  });

  it("answers 404 elsewhere, 405 to other methods, and HEAD without a body", async () => {
    const server = await start();
    const base = `http://127.0.0.1:${server.port}`;
    const notFound = await fetch(`${base}/nope`, { signal: AbortSignal.timeout(5000) });
    expect([notFound.status, await notFound.text()]).toEqual([404, "no route /nope; metrics are at /metrics\n"]);
    const post = await fetch(`${base}/metrics`, { method: "POST", signal: AbortSignal.timeout(5000) });
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    const head = await fetch(`${base}/metrics?x=1`, { method: "HEAD", signal: AbortSignal.timeout(5000) });
    expect([head.status, await head.text()]).toEqual([200, ""]);
  });

  it("frees its port on close, even with a keep-alive connection open", async () => {
    const server = await start();
    // A keep-alive connection, as Prometheus holds between scrapes.
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request(server.url, { agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      })
        .on("error", reject)
        .end();
    });
    expect(agent.freeSockets).not.toEqual({}); // the connection is still open
    await server.close();
    servers.length = 0;
    agent.destroy();
    const again = await start({ port: server.port });
    expect(again.port).toBe(server.port);
  });

  it("rejects a taken port with the address in the message", async () => {
    const server = await start();
    await expect(start({ port: server.port })).rejects.toThrow(`could not listen on 127.0.0.1:${server.port}: EADDRINUSE`);
    await expect(start({ port: 70000 })).rejects.toThrow(/got 70000/);
  });
});

describe("serveMetrics", () => {
  it("serves as one route of an existing server", async () => {
    const m = createWorkerMetrics();
    m.generation.set(7);
    const server = createServer((req, res) => {
      if (req.url === "/metrics") void serveMetrics(m.registry, req, res);
      else res.end("dashboard");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      expect(text).toMatch(/^vae_generation 7$/m);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
