import { describe, expect, it } from "vitest";
import { createCoordinatorMetrics } from "./coordinator-metrics.ts";
import { parseExposition } from "./exposition.ts";
import { COORDINATOR_STATES, MEMBERSHIP_REASONS, METRIC } from "./names.ts";
import { STEP_SECONDS_BUCKETS } from "./registry.ts";

async function scrape(m: ReturnType<typeof createCoordinatorMetrics>) {
  return parseExposition(await m.registry.metrics()).samples;
}

describe("createCoordinatorMetrics", () => {
  it("keeps exactly one state at 1", async () => {
    const m = createCoordinatorMetrics();
    let states = (await scrape(m)).filter((s) => s.name === METRIC.state);
    expect(states.map((s) => s.labels.state).sort()).toEqual([...COORDINATOR_STATES].sort());
    expect(states.filter((s) => s.value === 1).map((s) => s.labels.state)).toEqual(["waiting"]);
    m.setState("recovering");
    states = (await scrape(m)).filter((s) => s.name === METRIC.state);
    expect(states.filter((s) => s.value === 1).map((s) => s.labels.state)).toEqual(["recovering"]);
    expect(states.filter((s) => s.value === 0)).toHaveLength(COORDINATOR_STATES.length - 1);
  });

  it("starts every membership reason at 0 and counts by reason", async () => {
    const m = createCoordinatorMetrics();
    m.membershipChanges.inc({ reason: "heartbeat" });
    m.membershipChanges.inc({ reason: "heartbeat" });
    const changes = (await scrape(m)).filter((s) => s.name === METRIC.membershipChanges);
    expect(changes.map((s) => s.labels.reason).sort()).toEqual([...MEMBERSHIP_REASONS].sort());
    for (const s of changes) expect(s.value).toBe(s.labels.reason === "heartbeat" ? 2 : 0);
  });

  it("reports no test loss before the first evaluation, then the value", async () => {
    const m = createCoordinatorMetrics();
    const before = (await scrape(m)).find((s) => s.name === METRIC.testLoss);
    expect(before?.value).toBeNaN();
    m.testLoss.set(98.5);
    expect((await scrape(m)).find((s) => s.name === METRIC.testLoss)?.value).toBe(98.5);
  });

  it("buckets step times from 1 ms to 10 s", async () => {
    const m = createCoordinatorMetrics();
    m.stepDuration.observe(0.0015);
    m.stepDuration.observe(7);
    const buckets = (await scrape(m)).filter((s) => s.name === `${METRIC.stepDuration}_bucket`);
    const les = buckets.map((s) => s.labels.le);
    expect(les).toEqual([...STEP_SECONDS_BUCKETS.map(String), "+Inf"]);
    const count = (le: string) => buckets.find((s) => s.labels.le === le)!.value;
    expect([count("0.001"), count("0.002"), count("5"), count("10"), count("+Inf")]).toEqual([0, 1, 1, 2, 2]);
  });

  it("replaces its info series instead of adding one", async () => {
    const m = createCoordinatorMetrics();
    m.setInfo({ version: "0.1.0" });
    m.setInfo({ version: "0.2.0" });
    const info = (await scrape(m)).filter((s) => s.name === METRIC.info);
    expect(info).toHaveLength(1);
    expect(info[0]!.labels).toMatchObject({ role: "coordinator", version: "0.2.0", node_version: process.version });
  });

  it("lets two instances live in one process without sharing values", async () => {
    const a = createCoordinatorMetrics();
    const b = createCoordinatorMetrics();
    a.stepsTotal.inc(5);
    const value = async (m: typeof a) => (await scrape(m)).find((s) => s.name === METRIC.stepsTotal)!.value;
    expect([await value(a), await value(b)]).toEqual([5, 0]);
  });
});
