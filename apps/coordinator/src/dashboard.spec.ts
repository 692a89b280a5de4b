// The dashboard's HTTP side without a cluster: files and their types, no path
// outside the table, and the event stream (snapshot, then pushed changes).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDashboard, type Dashboard } from "./dashboard.ts";
import { StaticFiles, staticFileTable } from "./dashboard/static-files.ts";
import type { StepReport } from "./coordinator.ts";
import type { Status } from "./status.ts";

let server: Server | null = null;
let dashboard: Dashboard | null = null;

afterEach(async () => {
  dashboard?.close();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = null;
});

function fakeStatus(over: Partial<Status> = {}): Status {
  return {
    runId: "r1", state: "training", generation: 1, step: 3, totalSteps: 100, epoch: 0, epochs: 2, stepsPerEpoch: 50,
    samplesPerSecond: 640, loss: { total: 200, reconstruction: 180, kl: 20 }, config: { dataset: "mnist", batchSize: 32 },
    algorithm: "ring", compress: "none", testHistory: [], events: [],
    workers: [{ workerId: "w0", rank: 0, host: "h", pid: 1, backend: "wasm", state: "training", lastStep: 2, computeMs: 10, allreduceMs: 5, metricsPort: 9 }],
    ...over,
  } as unknown as Status;
}

function step(s: number): StepReport {
  return {
    generation: 1, step: s, epoch: 0, stepInEpoch: s, stepsPerEpoch: 50, totalSteps: 100,
    loss: { total: 200 - s, reconstruction: 180, kl: 20 } as StepReport["loss"], samplesPerSecond: 640, durationMs: 50,
    ranks: [{ rank: 0, workerId: "w0", computeMs: 30, allreduceMs: 10, applyMs: 2 }],
  };
}

async function serve(d: Dashboard): Promise<string> {
  server = createServer((req, res) => {
    if (!d.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Reads server-sent events from `url` until `count` have arrived. */
async function readEvents(res: Response, count: number): Promise<{ event: string; data: any }[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const events: { event: string; data: any }[] = [];
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = text.indexOf("\n\n")) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

describe("static files", () => {
  it("serves the page, its modules and uPlot with their content types", async () => {
    dashboard = createDashboard({ status: () => fakeStatus(), samplesPng: () => null, reconstructionsPng: () => null });
    const base = await serve(dashboard);
    const expected: [string, RegExp, RegExp][] = [
      ["/", /^text\/html; charset=utf-8$/, /<script type="module" src="\/dashboard\.js">/],
      ["/dashboard.js", /^text\/javascript/, /new EventSource\("\/api\/events"\)/],
      ["/charts.js", /^text\/javascript/, /from "\/vendor\/uPlot\.esm\.js"/],
      ["/dashboard.css", /^text\/css/, /\.panel/],
      ["/vendor/uPlot.esm.js", /^text\/javascript/, /export \{ uPlot as default \}/],
      ["/vendor/uPlot.min.css", /^text\/css/, /\.uplot/],
    ];
    for (const [path, type, body] of expected) {
      const res = await fetch(base + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toMatch(type);
      expect(await res.text(), path).toMatch(body);
    }
    const head = await fetch(`${base}/dashboard.js`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(100);
  });

  it("only knows the files in its table: hidden files, sub-directories and other types are left out", () => {
    const dir = mkdtempSync(join(tmpdir(), "vae-public-"));
    for (const name of ["index.html", "app.js", ".secret.js", "notes.txt", "Upper.js"]) writeFileSync(join(dir, name), "x");
    const table = staticFileTable(dir);
    expect([...table.keys()].sort()).toEqual(["/", "/app.js", "/index.html", "/vendor/uPlot.esm.js", "/vendor/uPlot.min.css"]);
    const files = new StaticFiles(table);
    const res = { writeHead: () => res, end: () => res } as any;
    for (const path of ["/.secret.js", "/notes.txt", "/../index.html", "/%2e%2e/index.html", "/app.js/", "//app.js", "/vendor/../app.js"]) {
      expect(files.serve(path, { method: "GET" } as any, res), path).toBe(false);
    }
  });

  it("serves the latest sample grid, and 404 before there is one", async () => {
    let png: Uint8Array | null = null;
    dashboard = createDashboard({ status: () => fakeStatus(), samplesPng: () => png, reconstructionsPng: () => png });
    const base = await serve(dashboard);
    expect((await fetch(`${base}/samples.png`)).status).toBe(404);
    png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const res = await fetch(`${base}/samples.png?epoch=0`);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
    expect(new Uint8Array(await (await fetch(`${base}/reconstructions.png?epoch=0`)).arrayBuffer())).toEqual(png);
  });
});

describe("/api/events", () => {
  it("starts with a snapshot, then pushes progress, membership, epoch and samples events in order", async () => {
    let status = fakeStatus();
    dashboard = createDashboard({ status: () => status, samplesPng: () => null, reconstructionsPng: () => null });
    for (let s = 0; s < 3; s++) dashboard.feed.onStep(step(s)); // before the page connects: in the snapshot
    const base = await serve(dashboard);
    const res = await fetch(`${base}/api/events`);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reading = readEvents(res, 5);
    await new Promise((r) => setTimeout(r, 300));
    dashboard.feed.onStep(step(3));
    dashboard.feed.onStep(step(4));
    status = fakeStatus({ workers: [] });
    dashboard.feed.onMembership({ time: "t", generation: 1, reason: "leave", workerId: "w0", rank: 0, host: "h", detail: "received SIGTERM" });
    dashboard.feed.onEpoch({ epoch: 0, step: 50, test: { total: 150, reconstruction: 140, kl: 10 } as any });
    dashboard.feed.onSamples(0);
    const events = await reading;
    expect(events.map((e) => e.event)).toEqual(["snapshot", "progress", "membership", "epoch", "samples"]);
    const [snapshot, progress, membership, epoch, samples] = events.map((e) => e.data);
    expect(snapshot.curves.step).toEqual([0, 1, 2]);
    expect(snapshot.curves.total).toEqual([200, 199, 198]);
    expect(snapshot.ranks).toEqual([{ rank: 0, workerId: "w0", computeMs: 30, allreduceMs: 10, applyMs: 2, waitMs: 8, steps: 3 }]);
    expect(snapshot.workers).toHaveLength(1);
    // The two steps after the snapshot travel together, and before the membership event.
    expect(progress.points.step).toEqual([3, 4]);
    expect(progress.state).toBe("training");
    expect(membership.event.workerId).toBe("w0");
    expect(membership.workers).toEqual([]);
    expect(epoch.test.total).toBe(150);
    expect(samples).toEqual({ epoch: 0 });
  });

  it("batches a burst of steps into few progress events", async () => {
    dashboard = createDashboard({ status: () => fakeStatus(), samplesPng: () => null, reconstructionsPng: () => null });
    const base = await serve(dashboard);
    const res = await fetch(`${base}/api/events`);
    const reading = readEvents(res, 3);
    await new Promise((r) => setTimeout(r, 200));
    for (let s = 0; s < 100; s++) dashboard.feed.onStep(step(s));
    await new Promise((r) => setTimeout(r, 400));
    for (let s = 100; s < 200; s++) dashboard.feed.onStep(step(s % 100));
    const [, first, second] = await reading;
    expect(first!.event).toBe("progress");
    expect(first!.data.points.step).toHaveLength(100);
    expect(second!.data.points.step).toHaveLength(100);
  });
});
