import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createCoordinatorMetrics } from "./coordinator-metrics.ts";
import { parseExposition, type Exposition } from "./exposition.ts";
import { METRIC_NAMES, TARGET_LABELS } from "./names.ts";
import { createWorkerMetrics } from "./worker-metrics.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Scrapes a coordinator and a worker after touching every handle, so labelled series exist too. */
async function scrapeBoth(): Promise<{ coordinator: Exposition; worker: Exposition }> {
  const c = createCoordinatorMetrics();
  c.setInfo({ version: "1.2.3" });
  c.setState("training");
  c.workers.set(2);
  c.generation.set(3);
  c.step.set(10);
  c.epoch.set(1);
  c.stepsTotal.inc();
  c.samplesTotal.inc(128);
  c.samplesPerSecond.set(1000);
  c.loss.set({ component: "total" }, 100);
  c.loss.set({ component: "reconstruction" }, 90);
  c.loss.set({ component: "kl" }, 10);
  c.testLoss.set(101);
  c.stepDuration.observe(0.05);
  c.allreduceDuration.observe({ algorithm: "star" }, 0.01);
  c.allreduceBytes.inc({ direction: "sent" }, 10);
  c.membershipChanges.inc({ reason: "join" });
  c.checkpoints.inc();
  c.rejectedMessages.inc({ reason: "VAE_ERR_BAD_MESSAGE" });

  const w = createWorkerMetrics();
  w.setInfo({ backend: "cpu", version: "1.2.3" });
  w.generation.set(3);
  w.stepsTotal.inc();
  w.samplesTotal.inc(64);
  w.stepDuration.observe(0.05);
  w.computeDuration.observe(0.03);
  w.applyDuration.observe(0.001);
  w.waitDuration.observe(0.002);
  w.recordAllreduce({ algorithm: "ring", seconds: 0.01, bufferBytes: 1000, worldSize: 2, bytesSent: 1000, bytesReceived: 1000 });
  w.rejectedMessages.inc({ reason: "VAE_ERR_BAD_MESSAGE" });

  return {
    coordinator: parseExposition(await c.registry.metrics()),
    worker: parseExposition(await w.registry.metrics()),
  };
}

describe("metric names", () => {
  it("are all exported by the coordinator or the worker registry, and nothing else vae_ is", async () => {
    const { coordinator, worker } = await scrapeBoth();
    const exported = new Set([...coordinator.types.keys(), ...worker.types.keys()].filter((n) => n.startsWith("vae_")));
    expect([...exported].sort()).toEqual([...METRIC_NAMES].sort());
  });

  it("follow Prometheus conventions: _total only on counters, base units on histograms", async () => {
    const { coordinator, worker } = await scrapeBoth();
    for (const { types } of [coordinator, worker]) {
      for (const [name, type] of types) {
        if (!name.startsWith("vae_")) continue;
        expect(name, `${name} is not a valid metric name`).toMatch(/^vae_[a-z][a-z0-9_]*[a-z0-9]$/);
        expect(name.endsWith("_total"), `${name} is a ${type}`).toBe(type === "counter");
        if (type === "histogram") expect(name).toMatch(/_seconds$/);
        expect(name, "units are base units").not.toMatch(/_(ms|milliseconds|kb|mb|mib|minutes)(_|$)/);
      }
    }
  });

  it("never carry target labels (rank, worker_id, host) as metric labels", async () => {
    const { coordinator, worker } = await scrapeBoth();
    const vaeSamples = [...coordinator.samples, ...worker.samples].filter((s) => s.name.startsWith("vae_"));
    expect(vaeSamples.length).toBeGreaterThan(40);
    for (const s of vaeSamples) {
      for (const label of TARGET_LABELS) expect(Object.keys(s.labels), `${s.name}`).not.toContain(label);
    }
  });

  it("include prom-client's default process metrics", async () => {
    const { coordinator, worker } = await scrapeBoth();
    for (const { types } of [coordinator, worker]) {
      expect(types.get("process_cpu_seconds_total")).toBe("counter");
      expect(types.get("process_resident_memory_bytes")).toBe("gauge");
      expect(types.get("nodejs_heap_size_used_bytes")).toBe("gauge");
    }
  });

  it("are spelled nowhere but names.ts in apps and libs source", () => {
    // See Note [Metric naming]: a name typed anywhere else can drift from the dashboard.
    const offenders: string[] = [];
    for (const top of ["apps", "libs"]) {
      for (const file of walk(join(repoRoot, top))) {
        if (!file.endsWith(".ts") || file.endsWith(".spec.ts") || file.endsWith("/metrics/src/names.ts")) continue;
        const lines = readFileSync(file, "utf8").split("\n");
        lines.forEach((line, i) => {
          if (/^\s*(\/\/|\*|\/\*)/.test(line)) return; // comments may mention names
          const m = /["'`](vae_[a-z0-9_]+)["'`]/.exec(line);
          if (m) offenders.push(`${relative(repoRoot, file)}:${i + 1}: ${m[1]}`);
        });
      }
    }
    expect(offenders, "metric names belong in libs/metrics/src/names.ts (use METRIC.*)").toEqual([]);
  });
});

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
