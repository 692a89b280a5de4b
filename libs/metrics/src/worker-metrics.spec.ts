import { describe, expect, it } from "vitest";
import { busBandwidth } from "./bus-bandwidth.ts";
import { parseExposition } from "./exposition.ts";
import { METRIC } from "./names.ts";
import { createWorkerMetrics } from "./worker-metrics.ts";

describe("createWorkerMetrics", () => {
  it("records an all-reduce as duration, bytes by direction and bus bandwidth", async () => {
    const m = createWorkerMetrics();
    m.recordAllreduce({ algorithm: "ring", seconds: 0.5, bufferBytes: 4_000_000, worldSize: 4, bytesSent: 6_000_000, bytesReceived: 5_000_000 });
    m.recordAllreduce({ algorithm: "ring", seconds: 0.25, bufferBytes: 4_000_000, worldSize: 4, bytesSent: 6_000_000, bytesReceived: 6_000_000 });
    const { samples } = parseExposition(await m.registry.metrics());
    const get = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(get(`${METRIC.allreduceDuration}_count`, { algorithm: "ring" })).toBe(2);
    expect(get(`${METRIC.allreduceDuration}_sum`, { algorithm: "ring" })).toBeCloseTo(0.75, 12);
    expect(get(METRIC.allreduceBytes, { direction: "sent" })).toBe(12_000_000);
    expect(get(METRIC.allreduceBytes, { direction: "received" })).toBe(11_000_000);
    // The gauge holds the last all-reduce: 4 MB in 0.25 s over 4 ranks → 16 MB/s · 1.5.
    expect(get(METRIC.allreduceBusBandwidth)).toBeCloseTo(24_000_000, 3);
  });

  it("labels its info with the backend, replacing the previous one", async () => {
    const m = createWorkerMetrics();
    m.setInfo({ backend: "auto", version: "0.1.0" });
    m.setInfo({ backend: "wasm", version: "0.1.0" });
    const info = parseExposition(await m.registry.metrics()).samples.filter((s) => s.name === METRIC.info);
    expect(info.map((s) => s.labels)).toEqual([{ role: "worker", backend: "wasm", version: "0.1.0", node_version: process.version }]);
  });

  it("serves both byte directions from the start, so rate() sees the first step", async () => {
    const m = createWorkerMetrics();
    const bytes = parseExposition(await m.registry.metrics()).samples.filter((s) => s.name === METRIC.allreduceBytes);
    expect(bytes.map((s) => [s.labels.direction, s.value]).sort()).toEqual([["received", 0], ["sent", 0]]);
  });
});

describe("busBandwidth", () => {
  it("scales the algorithm bandwidth by 2(W-1)/W", () => {
    expect(busBandwidth(1000, 2, 1)).toBe(1000);
    expect(busBandwidth(1000, 8, 0.5)).toBe(3500);
    expect(busBandwidth(1000, 1, 1)).toBe(0);
  });

  it("names the bad argument", () => {
    expect(() => busBandwidth(1000, 0, 1)).toThrow(/worldSize.*got 0/);
    expect(() => busBandwidth(1000, 2, 0)).toThrow(/seconds.*got 0/);
    expect(() => busBandwidth(-1, 2, 1)).toThrow(/bufferBytes.*got -1/);
  });
});
