// The ring all-reduce between separate processes over real WebSockets: results
// are bitwise identical across ranks and equal to the sum; a SIGKILLed rank and
// a SIGSTOPped rank (alive TCP, no pongs) make every other rank fail fast,
// naming the lost rank.
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { randomInputs } from "@vae/allreduce/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { FromChild, ToChild } from "./allreduce-rank.child.ts";

const CHILD = fileURLToPath(new URL("./allreduce-rank.child.ts", import.meta.url));
const procs: ChildProcess[] = [];

afterEach(() => {
  for (const p of procs.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill("SIGCONT");
      p.kill("SIGKILL");
    }
  }
});

class Rank {
  readonly proc: ChildProcess;
  readonly inbox: FromChild[] = [];
  private waiters: ((m: FromChild) => void)[] = [];

  constructor(readonly rank: number) {
    this.proc = fork(CHILD, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    procs.push(this.proc);
    this.proc.on("message", (m: FromChild) => {
      this.inbox.push(m);
      this.waiters.splice(0).forEach((w) => w(m));
    });
  }

  send(m: ToChild): void {
    this.proc.send(m);
  }

  /** The first message (already received or future) that satisfies `pred`, within `ms`. */
  async next<T extends FromChild>(pred: (m: FromChild) => m is T, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as T;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`rank ${this.rank}: no matching message within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }
}

const is =
  <K extends FromChild["type"]>(type: K) =>
  (m: FromChild): m is Extract<FromChild, { type: K }> =>
    m.type === type;

async function startRing(w: number, heartbeat = { intervalMs: 2000, timeoutMs: 10_000 }, compress: "none" | "fp16" = "none") {
  const token = randomBytes(16).toString("hex");
  const ranks = Array.from({ length: w }, (_, r) => new Rank(r));
  ranks.forEach((r) => r.send({ type: "init", rank: r.rank, worldSize: w, token, heartbeat }));
  const ports = await Promise.all(ranks.map((r) => r.next(is("listening"))));
  ranks.forEach((r) => r.send({ type: "connect", peerPorts: ports.map((p) => p.port), compress }));
  await Promise.all(ranks.map((r) => r.next(is("connected"))));
  return ranks;
}

describe("ring all-reduce between processes", () => {
  it("gives every rank the same bits, equal to the float64 sum within fp32 rounding", { timeout: 60_000 }, async () => {
    const w = 3;
    const n = 200_003;
    const ranks = await startRing(w);
    ranks.forEach((r) => r.send({ type: "run", elements: n, rounds: 3 }));
    const inputs = Array.from({ length: w }, (_, r) => randomInputs(1, n, 7 + r)[0]);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(ranks.map((r) => r.next(is("result"))));
      for (const res of results) expect(res.bits).toEqual(results[0].bits);
      const got = new Float32Array(new Uint32Array(results[0].bits).buffer);
      [0, n >> 1, n - 1].forEach((i, k) => {
        const exact = inputs.reduce((s, x) => s + x[i], 0);
        const abs = inputs.reduce((s, x) => s + Math.abs(x[i]), 0);
        expect(Math.abs(got[k] - exact)).toBeLessThanOrEqual(w * 2 ** -24 * abs);
      });
    }
  });

  it("fails fast on every other rank, naming it, when a rank is SIGKILLed mid-reduce", { timeout: 60_000 }, async () => {
    const ranks = await startRing(3);
    ranks.forEach((r) => r.send({ type: "run", elements: 1_000_000, rounds: 10_000 }));
    await Promise.all(ranks.map((r) => r.next(is("result"))));
    ranks[1].proc.kill("SIGKILL");
    for (const r of [ranks[0], ranks[2]]) {
      const failed = await r.next(is("failed"), 5_000);
      expect(failed.peer, failed.message).toBe(1);
      expect(failed.message).toMatch(/peer rank 1 lost/);
    }
  });

  it("fails fast, naming it, when a rank is SIGSTOPped (its TCP stays up, its pongs stop)", { timeout: 60_000 }, async () => {
    const ranks = await startRing(3, { intervalMs: 200, timeoutMs: 2_000 }); // generous: a loaded CI box must not look stopped
    ranks.forEach((r) => r.send({ type: "run", elements: 1_000_000, rounds: 10_000 }));
    await Promise.all(ranks.map((r) => r.next(is("result"))));
    ranks[2].proc.kill("SIGSTOP");
    const t0 = Date.now();
    for (const r of [ranks[0], ranks[1]]) {
      const failed = await r.next(is("failed"), 10_000);
      expect(failed.peer, failed.message).toBe(2);
    }
    expect(Date.now() - t0).toBeLessThan(8_000);
  });
});
