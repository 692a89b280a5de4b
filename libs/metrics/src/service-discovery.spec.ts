import { describe, expect, it } from "vitest";
import { serviceDiscoveryTargets } from "./service-discovery.ts";

describe("serviceDiscoveryTargets", () => {
  it("gives one labelled target group per worker that serves metrics, by rank", () => {
    const groups = serviceDiscoveryTargets([
      { rank: 2, workerId: "w-c", host: "10.0.0.3", metricsPort: 9100 },
      { rank: 0, workerId: "w-a", host: "gpu-1.lan", metricsPort: 9101 },
      { rank: 1, workerId: "w-b", host: "fd00::2", metricsPort: 9102 },
      { rank: 3, workerId: "w-d", host: "10.0.0.4", metricsPort: null },
      { rank: 4, workerId: "w-e", host: "10.0.0.5" },
    ]);
    expect(groups).toEqual([
      { targets: ["gpu-1.lan:9101"], labels: { rank: "0", worker_id: "w-a", host: "gpu-1.lan" } },
      { targets: ["[fd00::2]:9102"], labels: { rank: "1", worker_id: "w-b", host: "fd00::2" } },
      { targets: ["10.0.0.3:9100"], labels: { rank: "2", worker_id: "w-c", host: "10.0.0.3" } },
    ]);
    // The body Prometheus reads: a JSON array whose label values are all strings.
    const parsed = JSON.parse(JSON.stringify(groups)) as { targets: unknown[]; labels: Record<string, unknown> }[];
    for (const g of parsed) {
      expect(g.targets).toHaveLength(1);
      for (const v of Object.values(g.labels)) expect(typeof v).toBe("string");
    }
  });

  it("is empty without workers", () => {
    expect(serviceDiscoveryTargets([])).toEqual([]);
  });

  it("names the worker and field that are wrong", () => {
    expect(() => serviceDiscoveryTargets([{ rank: 0, workerId: "w-a", host: "h", metricsPort: 70000 }])).toThrow(
      "worker w-a (rank 0): metricsPort must be an integer in [1, 65535], got 70000",
    );
    expect(() => serviceDiscoveryTargets([{ rank: -1, workerId: "w-b", host: "h", metricsPort: 1 }])).toThrow(/w-b: rank .* got -1/);
    expect(() => serviceDiscoveryTargets([{ rank: 0, workerId: "w-c", host: "", metricsPort: 1 }])).toThrow(/w-c .*host is empty/);
  });
});
