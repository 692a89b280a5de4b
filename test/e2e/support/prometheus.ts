// A real Prometheus server (the Debian `prometheus` binary) for e2e tests,
// started with deploy/prometheus/prometheus.yml pointed at a coordinator on an
// ephemeral port and sped up to 1 s scrapes and discovery, plus the few HTTP
// API calls the tests make. stop() ends it; it also dies with the test process.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./processes.ts";

export const PROMETHEUS = process.env.VAE_PROMETHEUS ?? "prometheus";

export interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Target {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: "up" | "down" | "unknown";
  lastError: string;
}

export interface Prometheus {
  url: string;
  log(): string;
  query(expr: string): Promise<Series[]>;
  /** Active targets of one job. */
  targets(job: string): Promise<Target[]>;
  stop(): Promise<void>;
}

/** deploy/prometheus/prometheus.yml with the coordinator at `coordinatorPort` and 1 s intervals. */
export function prometheusConfig(coordinatorPort: number): string {
  const config = readFileSync(join(ROOT, "deploy/prometheus/prometheus.yml"), "utf8");
  if (!config.includes("127.0.0.1:7070")) throw new Error("deploy/prometheus/prometheus.yml no longer names 127.0.0.1:7070: update the test's rewrite");
  return config
    .replaceAll("127.0.0.1:7070", `127.0.0.1:${coordinatorPort}`)
    .replace(/scrape_interval: 5s/, "scrape_interval: 1s")
    .replace(/scrape_timeout: 4s/, "scrape_timeout: 1s")
    .replace(/evaluation_interval: 5s/, "evaluation_interval: 1s")
    .replace(/refresh_interval: 5s/, "refresh_interval: 1s");
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startPrometheus(configText: string): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), "vae-prometheus-"));
  writeFileSync(join(dir, "prometheus.yml"), configText);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = "";
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (err) => reject(new Error(`cannot start ${PROMETHEUS} (${err.message}): install it (apt-get install prometheus) or set VAE_SKIP_PROMTOOL=1`)));
  });

  const api = async (path: string) => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { status: string; error?: string; data: any };
    if (body.status !== "success") throw new Error(`prometheus ${path}: ${body.error}`);
    return body.data;
  };
  const prometheus: Prometheus = {
    url,
    log: () => log,
    query: async (expr) => (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    targets: async (job) => ((await api("/api/v1/targets?state=active")).activeTargets as Target[]).filter((t) => t.scrapePool === job),
    async stop() {
      process.off("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Ready once the API answers.
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      await api("/api/v1/status/buildinfo");
      return prometheus;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > end) {
        await prometheus.stop();
        throw new Error(`prometheus did not become ready: ${(err as Error).message}\n${log.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
