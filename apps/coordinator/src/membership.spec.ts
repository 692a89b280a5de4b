import { describe, expect, it } from "vitest";
import { Membership, type MemberInfo } from "./membership.ts";

const info = (id: string): MemberInfo => ({ workerId: id, host: `host-${id}`, pid: 1, backend: "wasm", peerHost: "127.0.0.1", peerPort: 9000, metricsPort: null });

describe("Membership", () => {
  it("ranks members in join order and keeps survivors' relative order across generations", () => {
    const m = new Membership();
    m.add(info("a"));
    m.add(info("b"));
    m.add(info("c"));
    expect(m.nextGeneration().map((x) => [x.workerId, x.rank])).toEqual([["a", 0], ["b", 1], ["c", 2]]);
    expect(m.generation).toBe(1);
    m.remove("a", "closed", "socket closed");
    m.add(info("d"));
    expect(m.list().find((x) => x.workerId === "d")!.rank).toBeNull(); // waiting to be admitted
    expect(m.nextGeneration().map((x) => [x.workerId, x.rank])).toEqual([["b", 0], ["c", 1], ["d", 2]]);
    expect(m.generation).toBe(2);
  });

  it("records who was lost, with rank, host, generation and reason", () => {
    const m = new Membership();
    m.add(info("a"));
    m.nextGeneration();
    const lost = m.remove("a", "heartbeat", "no pong for 5000 ms");
    expect(lost?.rank).toBe(0);
    expect(m.events.at(-1)).toMatchObject({ reason: "heartbeat", workerId: "a", rank: 0, host: "host-a", generation: 1, detail: "no pong for 5000 ms" });
    expect(m.remove("a", "closed", "again")).toBeUndefined();
  });

  it("refuses a second member with the same id", () => {
    const m = new Membership();
    m.add(info("a"));
    expect(() => m.add(info("a"))).toThrow(/already a member/);
  });
});
