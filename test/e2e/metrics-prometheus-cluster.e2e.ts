// A real Prometheus (Debian `prometheus`) with the repository's
// deploy/prometheus/prometheus.yml, rewritten to the ports of a LIVE local
// cluster (a coordinator and two spawned workers, each worker's /metrics on an
// ephemeral --metrics-port found through /api/sd). Through Prometheus' HTTP API:
// the coordinator's vae_loss and every rank's step-time series are scraped and
// advance; when a worker leaves, its target disappears from /api/sd and from
// Prometheus' active targets while the survivor is still scraped.
import { afterEach, describe, expect, it } from "vitest";
import { startCluster } from "./support/cluster.ts";
import { killAll, until } from "./support/processes.ts";
import { prometheusConfig, startPrometheus, type Prometheus } from "./support/prometheus.ts";

const skip = process.env.VAE_SKIP_PROMTOOL === "1"; // same opt-out as the other Prometheus checks

let prometheus: Prometheus | null = null;

afterEach(async () => {
  await prometheus?.stop();
  prometheus = null;
  await killAll();
});

/** Polls until `check` passes (it throws while it does not), then returns its value. */
async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      return await check();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${(last as Error)?.message}\n--- prometheus log ---\n${prometheus?.log().slice(-1500)}`);
}

const byRank = (series: { metric: Record<string, string>; value: [number, string] }[]) =>
  Object.fromEntries(series.map((s) => [s.metric.rank, Number(s.value[1])]));

describe.skipIf(skip)("Prometheus against a live cluster", () => {
  it("scrapes the coordinator's loss and each rank's step times, and drops a worker that leaves", async () => {
    const cluster = await startCluster(
      ["--workers", "2", "--min-workers", "1", "--spawn-workers", "2", "--backend", "wasm", "--train-limit", "512", "--test-limit", "100", "--batch-size", "32", "--epochs", "500", "--checkpoint-every", "0"],
      { deadlineMs: 200_000 },
    );
    await until(async () => (await cluster.status()).state === "training", 90_000, "two workers training");
    const status = await cluster.status();
    const sd = await (await fetch(`http://127.0.0.1:${cluster.port}/api/sd`)).json();
    expect(sd).toHaveLength(2);
    for (const w of status.workers) {
      expect(w.metricsPort, `worker ${w.workerId} advertises its metrics port`).toBeGreaterThan(0);
      expect(sd).toContainEqual({ targets: [`${w.host}:${w.metricsPort}`], labels: { rank: String(w.rank), worker_id: w.workerId, host: w.host } });
    }

    prometheus = await startPrometheus(prometheusConfig(cluster.port));
    const prom = prometheus;
    await eventually("both workers and the coordinator up", async () => {
      expect(await prom.query('up{job="vae-worker"} == 1')).toHaveLength(2);
      expect(await prom.query('up{job="vae-coordinator"} == 1')).toHaveLength(1);
    }, 30_000);

    // The coordinator's loss, three components, advancing.
    const loss = await eventually("vae_loss from the coordinator", async () => {
      const series = await prom.query('vae_loss{job="vae-coordinator"}');
      expect(series.map((s) => s.metric.component).sort()).toEqual(["kl", "reconstruction", "total"]);
      return series;
    }, 20_000);
    for (const s of loss) expect(Number(s.value[1])).toBeGreaterThan(0);
    await eventually("vae_loss changing between scrapes", async () => {
      const changed = await prom.query('changes(vae_loss{job="vae-coordinator",component="total"}[30s])');
      expect(Number(changed[0]?.value[1] ?? 0)).toBeGreaterThanOrEqual(2);
    }, 30_000);

    // Each rank's step-time series (step, compute, all-reduce, apply), labelled by discovery, and growing.
    const phases = ["step", "compute", "allreduce", "apply"];
    const counts = async (phase: string) => byRank(await prom.query(`sum by (rank) (vae_${phase}_duration_seconds_count{job="vae-worker"})`));
    const first: Record<string, Record<string, number>> = {};
    for (const phase of phases) {
      first[phase] = await eventually(`${phase} times of ranks 0 and 1`, async () => {
        const c = await counts(phase);
        expect(Object.keys(c).sort()).toEqual(["0", "1"]);
        return c;
      }, 20_000);
    }
    await eventually("every rank's step-time counts advancing", async () => {
      for (const phase of phases) {
        const now = await counts(phase);
        for (const rank of ["0", "1"]) expect(now[rank], `${phase} of rank ${rank}`).toBeGreaterThan(first[phase]![rank]!);
      }
    }, 30_000);
    const mean = byRank(await prom.query('sum by (rank) (rate(vae_compute_duration_seconds_sum{job="vae-worker"}[10s])) / sum by (rank) (rate(vae_compute_duration_seconds_count{job="vae-worker"}[10s]))'));
    for (const rank of ["0", "1"]) expect(mean[rank]).toBeGreaterThan(0);

    // Rank 1 leaves: /api/sd and then Prometheus drop its target; rank 0 is still scraped.
    const leaving = status.workers.find((w: any) => w.rank === 1);
    const staying = status.workers.find((w: any) => w.rank === 0);
    const leavingUrl = `http://${leaving.host}:${leaving.metricsPort}/metrics`;
    expect((await prom.targets("vae-worker")).map((t) => t.scrapeUrl)).toContain(leavingUrl);
    process.kill(leaving.pid, "SIGTERM");
    await eventually("the leaver gone from /api/sd", async () => {
      const now = await (await fetch(`http://127.0.0.1:${cluster.port}/api/sd`)).json();
      expect(now).toEqual([{ targets: [`${staying.host}:${staying.metricsPort}`], labels: { rank: "0", worker_id: staying.workerId, host: staying.host } }]);
    }, 30_000);
    await eventually("the leaver gone from Prometheus' targets", async () => {
      const targets = await prom.targets("vae-worker");
      expect(targets.map((t) => t.scrapeUrl)).toEqual([`http://${staying.host}:${staying.metricsPort}/metrics`]);
      expect(targets[0]!.labels.worker_id).toBe(staying.workerId);
    }, 30_000);
    const before = (await counts("step"))["0"]!;
    await eventually("the survivor still scraped and training", async () => {
      expect((await counts("step"))["0"]).toBeGreaterThan(before);
      expect(await prom.query('up{job="vae-worker"} == 1')).toHaveLength(1);
    }, 30_000);
    await eventually("the coordinator's vae_workers at 1", async () => {
      expect(Number((await prom.query('vae_workers{job="vae-coordinator"}'))[0]!.value[1])).toBe(1);
    }, 10_000);

    cluster.proc.child.kill("SIGINT");
    expect(await cluster.proc.exited).toEqual({ code: 0, signal: null });
  });
});
