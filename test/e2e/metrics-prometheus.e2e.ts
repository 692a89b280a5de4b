// A real Prometheus, run with deploy/prometheus/prometheus.yml (ports rewritten),
// against a stand-in coordinator and two stand-in workers built from
// @vae/metrics: proves that service discovery attaches rank/worker_id/host to
// worker series, and that every query of the Grafana dashboard returns data
// (a live cluster cannot be made to have a straggler or a rejected message on
// cue; the stand-ins can). The stand-ins serve exactly what the real processes
// serve (same factories, same SD builder); metrics-prometheus-cluster.e2e.ts
// runs the same Prometheus against a live cluster.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCoordinatorMetrics,
  createWorkerMetrics,
  serveMetrics,
  serviceDiscoveryTargets,
  startMetricsServer,
  type MetricsServer,
} from "@vae/metrics";
import { ROOT as root } from "./support/processes.ts";
import { prometheusConfig, startPrometheus, type Prometheus } from "./support/prometheus.ts";

const skip = process.env.VAE_SKIP_PROMTOOL === "1"; // same opt-out as the promtool checks: no Prometheus on this machine

let coordinatorServer: Server;
let workerServers: MetricsServer[] = [];
let prometheus: Prometheus | null = null;
let ticker: NodeJS.Timeout;

const query = (expr: string) => prometheus!.query(expr);

async function waitFor(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}; prometheus log tail:\n${prometheus?.log().slice(-2000)}`);
}

describe.skipIf(skip)("Prometheus with deploy/prometheus/prometheus.yml", () => {
  beforeAll(async () => {
    // Two workers, each on its own ephemeral metrics port.
    const workers = [createWorkerMetrics(), createWorkerMetrics()];
    workers.forEach((w, rank) => w.setInfo({ backend: rank === 0 ? "wasm" : "cpu", version: "test" }));
    workerServers = await Promise.all(workers.map((w) => startMetricsServer(w.registry)));
    const sd = serviceDiscoveryTargets(workerServers.map((s, rank) => ({ rank, workerId: `w-${rank}`, host: "127.0.0.1", metricsPort: s.port })));

    // The coordinator: /metrics and /api/sd on one port.
    const c = createCoordinatorMetrics();
    c.setInfo({ version: "test" });
    c.setState("training");
    c.workers.set(2);
    c.testLoss.set(120);
    coordinatorServer = createServer((req, res) => {
      if (req.url === "/metrics") return void serveMetrics(c.registry, req, res);
      if (req.url === "/api/sd") {
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(JSON.stringify(sd));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => coordinatorServer.listen(0, "127.0.0.1", r));
    const coordinatorPort = (coordinatorServer.address() as AddressInfo).port;

    // A training run in miniature, so rates and histograms have data.
    let step = 0;
    ticker = setInterval(() => {
      step++;
      c.step.set(step);
      c.stepsTotal.inc();
      c.samplesTotal.inc(128);
      c.samplesPerSecond.set(1280);
      c.stepDuration.observe(0.1);
      for (const component of ["total", "reconstruction", "kl"] as const) c.loss.set({ component }, 100 / step);
      if (step % 5 === 0) c.checkpoints.inc();
      if (step === 3) c.membershipChanges.inc({ reason: "join" });
      if (step === 4) c.rejectedMessages.inc({ reason: "VAE_ERR_BAD_MESSAGE" });
      workers.forEach((w, rank) => {
        w.generation.set(1);
        w.stepsTotal.inc();
        w.samplesTotal.inc(64);
        w.waitDuration.observe(0.001);
        w.computeDuration.observe(rank === 1 ? 0.08 : 0.02); // rank 1 is the straggler
        w.recordAllreduce({ algorithm: "ring", seconds: rank === 1 ? 0.005 : 0.065, bufferBytes: 1e6, worldSize: 2, bytesSent: 1e6, bytesReceived: 1e6 });
        w.applyDuration.observe(0.002);
        w.stepDuration.observe(0.1);
      });
    }, 100);

    // deploy/prometheus/prometheus.yml, pointed at our ports and sped up to 1 s.
    prometheus = await startPrometheus(prometheusConfig(coordinatorPort));
    await waitFor("both workers up", async () => (await query('up{job="vae-worker"} == 1')).length === 2, 30_000);
    await waitFor("coordinator up", async () => (await query('up{job="vae-coordinator"} == 1')).length === 1, 10_000);
    await new Promise((r) => setTimeout(r, 4000)); // a few more scrapes, so rate() has points
  }, 90_000);

  afterAll(async () => {
    clearInterval(ticker);
    await prometheus?.stop();
    await Promise.all(workerServers.map((s) => s.close()));
    if (coordinatorServer) {
      coordinatorServer.closeAllConnections();
      await new Promise((r) => coordinatorServer.close(r));
    }
  }, 30_000);

  it("labels worker series with rank, worker_id and host from /api/sd", async () => {
    const series = await query('vae_steps_total{job="vae-worker"}');
    const labels = series.map((s) => [s.metric.rank, s.metric.worker_id, s.metric.host]).sort();
    expect(labels).toEqual([
      ["0", "w-0", "127.0.0.1"],
      ["1", "w-1", "127.0.0.1"],
    ]);
    const coordinator = await query('vae_steps_total{job="vae-coordinator"}');
    expect(coordinator).toHaveLength(1);
    expect(coordinator[0]!.metric.rank).toBeUndefined();
  });

  it("answers every dashboard query with data", async () => {
    const dashboard = JSON.parse(readFileSync(join(root, "deploy/grafana/dashboards/vae-cluster.json"), "utf8"));
    const panels: any[] = dashboard.panels.flatMap((p: any) => [p, ...(p.panels ?? [])]);
    const empty: string[] = [];
    let n = 0;
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        const expr = (t.expr as string).replaceAll("$__rate_interval", "4s").replaceAll('"$rank"', '"0"');
        n++;
        if ((await query(expr)).length === 0) empty.push(`${p.title}: ${expr}`);
      }
    }
    expect(n).toBeGreaterThan(25);
    expect(empty, "dashboard queries with no result").toEqual([]);
  });

  it("shows the straggler: rank 1 computes longest, rank 0 waits longest in the all-reduce", async () => {
    const mean = async (phase: string) =>
      Object.fromEntries(
        (await query(`sum by (rank) (rate(vae_${phase}_duration_seconds_sum[4s])) / sum by (rank) (rate(vae_${phase}_duration_seconds_count[4s]))`)).map(
          (s) => [s.metric.rank, Number(s.value[1])],
        ),
      );
    const compute = await mean("compute");
    const allreduce = await mean("allreduce");
    expect(compute["1"]).toBeGreaterThan(compute["0"]! * 2);
    expect(allreduce["0"]).toBeGreaterThan(allreduce["1"]! * 2);
  });
});
