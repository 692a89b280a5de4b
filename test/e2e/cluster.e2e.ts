// The cluster's processes end to end: a run to completion whose checkpoint the
// offline tool reads, a worker joining by hand, a clean SIGINT, bad input on
// the control socket (garbage, oversize, wrong token, wrong config), and no
// process left behind.
import { createConnection } from "node:net";
import { existsSync } from "node:fs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ERROR_CLOSE_CODES, decode, encode, message } from "@vae/protocol";
import { TEST_TOKEN, startCluster } from "./support/cluster.ts";
import { alive, killAll, start, until } from "./support/processes.ts";

const SMALL = ["--train-limit", "512", "--test-limit", "200", "--batch-size", "32", "--backend", "wasm"];

afterEach(killAll);
afterAll(killAll);

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(false)));
    s.once("error", () => resolve(true));
  });
}

/** Opens /cluster, reads the challenge, sends `frame`, and returns what came back before the close. */
async function sendRaw(url: string, frame: Buffer | string, opts: { maxPayload?: number } = {}): Promise<{ replies: any[]; closeCode: number }> {
  const ws = new WebSocket(`${url}/cluster`, { maxPayload: opts.maxPayload ?? 1 << 20 });
  const replies: any[] = [];
  return new Promise((resolve, reject) => {
    ws.on("message", (data) => {
      const msg = decode(data as Buffer) as any;
      replies.push(msg);
      if (msg.type === "challenge") ws.send(frame);
    });
    ws.on("close", (code) => resolve({ replies, closeCode: code }));
    ws.on("error", reject);
  });
}

describe("a run", () => {
  it("trains to --max-steps, exits 0, leaves a checkpoint vae eval reads, and no process behind", async () => {
    const cluster = await startCluster(["--workers", "2", "--spawn-workers", "2", "--max-steps", "30", ...SMALL]);
    let pids: number[] = [];
    await until(async () => {
      const s = await cluster.status();
      pids = s.workers.map((w: any) => w.pid);
      return s.state === "training" && pids.length === 2;
    }, 60_000, "two training workers");
    expect(await cluster.proc.exited).toEqual({ code: 0, signal: null });
    for (const pid of pids) expect(alive(pid), `worker pid ${pid} still alive`).toBe(false);
    expect(await portFree(cluster.port)).toBe(true);
    expect(cluster.steps()).toHaveLength(30);

    const evalRun = start("vae", ["eval", "--checkpoint", `${cluster.runDir}/checkpoints/latest`, "--limit", "200", "--backend", "wasm", "--json"]);
    expect(await evalRun.exited).toEqual({ code: 0, signal: null });
    const line = JSON.parse(evalRun.output().split("\n").find((l) => l.startsWith("{"))!);
    expect(line.count).toBe(200);
    expect(line.negativeElbo).toBeGreaterThan(50);
    expect(line.negativeElbo).toBeLessThan(600);
  });

  it("waits for --workers, starts when a worker joins by hand, and a SIGINT stops everything cleanly", async () => {
    const cluster = await startCluster(["--workers", "3", "--spawn-workers", "2", "--epochs", "50", ...SMALL]);
    await until(async () => (await cluster.status()).workers.length === 2, 60_000, "two spawned workers");
    expect((await cluster.status()).state).toBe("waiting");
    const third = start("worker", ["--coordinator", cluster.url, "--backend", "wasm", "--id", "by-hand"], { env: { VAE_CLUSTER_TOKEN: TEST_TOKEN } });
    await until(async () => {
      const s = await cluster.status();
      return s.state === "training" && s.step >= 5;
    }, 90_000, "training with three workers");
    const status = await cluster.status();
    expect(status.workers.map((w: any) => w.workerId)).toContain("by-hand");
    expect(cluster.steps().every((s) => s.workers.length === 3)).toBe(true);

    cluster.proc.child.kill("SIGINT");
    expect(await cluster.proc.exited).toEqual({ code: 0, signal: null });
    expect(await third.exited).toEqual({ code: 0, signal: null });
    expect(cluster.proc.output()).toMatch(/checkpoint of step \d+ written/);
    expect(existsSync(`${cluster.runDir}/checkpoints/latest/state.json`)).toBe(true);
    expect(await portFree(cluster.port)).toBe(true);
  });
});

describe("bad input on /cluster", () => {
  it("answers garbage, oversize frames, a wrong token and a wrong config with an error and a closed socket, and keeps serving", async () => {
    const cluster = await startCluster(["--workers", "1", ...SMALL]);

    const garbage = await sendRaw(cluster.url, Buffer.from([0xc1, 0xff, 0x00, 0x13]));
    expect(garbage.replies.at(-1)).toMatchObject({ type: "error", code: "VAE_ERR_MALFORMED" });
    expect(garbage.closeCode).toBe(ERROR_CLOSE_CODES.VAE_ERR_MALFORMED);

    const notAMap = await sendRaw(cluster.url, encode([1, 2, 3]));
    expect(notAMap.replies.at(-1)).toMatchObject({ type: "error", code: "VAE_ERR_MALFORMED" });

    const badField = await sendRaw(cluster.url, encode({ ...message("leave", { reason: "x" }), reason: 42 }));
    expect(badField.replies.at(-1)).toMatchObject({ type: "error", code: "VAE_ERR_INVALID_FIELD" });
    expect(badField.replies.at(-1).message).toMatch(/reason/);

    const oversize = await sendRaw(cluster.url, Buffer.alloc(65 * 1024 * 1024));
    expect(oversize.closeCode).toBe(1009);

    const wrongToken = start("worker", ["--coordinator", cluster.url, "--backend", "cpu", "--id", "intruder"], { env: { VAE_CLUSTER_TOKEN: "not-the-token" } });
    expect((await wrongToken.exited).code).toBe(1);
    expect(wrongToken.output()).toMatch(/VAE_ERR_AUTH.*wrong cluster token/);

    const wrongData = start("worker", ["--coordinator", cluster.url, "--backend", "cpu", "--dataset", "fashion-mnist"], { env: { VAE_CLUSTER_TOKEN: TEST_TOKEN } });
    expect((await wrongData.exited).code).toBe(1);
    expect(wrongData.output()).toMatch(/VAE_ERR_CONFIG_MISMATCH.*dataset.*"fashion-mnist".*"mnist"/);

    // Still alive and serving: a good worker joins and trains.
    expect((await fetch(`http://127.0.0.1:${cluster.port}/healthz`)).status).toBe(200);
    start("worker", ["--coordinator", cluster.url, "--backend", "wasm"], { env: { VAE_CLUSTER_TOKEN: TEST_TOKEN } });
    await until(async () => (await cluster.status()).step >= 3, 60_000, "training after the bad clients");
    const metrics = await (await fetch(`http://127.0.0.1:${cluster.port}/metrics`)).text();
    expect(metrics).toMatch(/vae_rejected_messages_total\{reason="VAE_ERR_MALFORMED"\} [2-9]/);
    expect(metrics).toMatch(/vae_rejected_messages_total\{reason="VAE_ERR_AUTH"\} 1/);
  });
});
