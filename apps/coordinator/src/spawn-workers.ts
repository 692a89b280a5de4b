import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";

/** Options passed to each spawned `vae-worker`. */
export interface SpawnOptions {
  count: number;
  coordinatorUrl: string;
  token: string;
  backend: string;
  /** Extra worker flags, passed through verbatim. */
  extraArgs?: string[];
  log: (line: string) => void;
}

const workerBin = createRequire(import.meta.url).resolve("@vae/worker-app/bin/vae-worker.mjs");

/**
 * Local worker processes for `--spawn-workers N`. Each is told the coordinator's
 * pid (`--parent-pid`) and exits by itself if the coordinator dies without
 * stopping it (kill -9), so no orphan survives either way.
 */
export class SpawnedWorkers {
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly opts: SpawnOptions) {}

  startAll(): void {
    for (let i = 0; i < this.opts.count; i++) this.start(i);
  }

  start(index: number): ChildProcess {
    const args = [
      workerBin,
      "--coordinator", this.opts.coordinatorUrl,
      "--backend", this.opts.backend,
      "--parent-pid", String(process.pid),
      "--id", `local-${index}-${process.pid}`,
      ...(this.opts.extraArgs ?? []),
    ];
    const child = spawn(process.execPath, args, {
      // The token travels in the environment, never on a command line that `ps` shows.
      // The malloc thresholds keep glibc from returning (and then re-faulting) the large
      // buffers of every step: measured here, a fresh 16 MiB allocation costs ~75 ms.
      env: { MALLOC_MMAP_THRESHOLD_: "268435456", MALLOC_TRIM_THRESHOLD_: "1073741824", ...process.env, VAE_CLUSTER_TOKEN: this.opts.token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const prefix = `[worker ${index}]`;
    const forward = (data: Buffer) => {
      for (const line of data.toString().split("\n")) if (line.trim()) this.opts.log(`${prefix} ${line}`);
    };
    child.stdout!.on("data", forward);
    child.stderr!.on("data", forward);
    child.on("exit", (code, signal) => {
      this.children.delete(child);
      this.opts.log(`${prefix} exited (${signal ?? `code ${code}`})`);
    });
    this.children.add(child);
    return child;
  }

  pids(): number[] {
    return [...this.children].map((c) => c.pid!).filter((p) => p !== undefined);
  }

  /** Resolves when every worker has exited by itself, or after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<void> {
    const alive = [...this.children];
    await Promise.race([
      Promise.all(alive.map((c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", () => r()))))),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  /** SIGTERM every worker, SIGKILL those still alive after `graceMs`; resolves when all have exited. */
  async stopAll(graceMs: number): Promise<void> {
    const alive = [...this.children];
    if (alive.length === 0) return;
    const exited = alive.map((c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once("exit", () => resolve()))));
    for (const c of alive) c.kill("SIGTERM");
    const timer = setTimeout(() => alive.forEach((c) => c.kill("SIGKILL")), graceMs);
    await Promise.all(exited);
    clearTimeout(timer);
  }
}
