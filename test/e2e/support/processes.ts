// Child processes for multi-process tests: every child is tracked, has a hard
// deadline, and is SIGKILLed by killAll() (call it in afterEach/afterAll), so
// no test leaves a process behind, even when it fails half-way.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
export const BINS = {
  coordinator: join(ROOT, "apps/coordinator/bin/vae-coordinator.mjs"),
  worker: join(ROOT, "apps/worker/bin/vae-worker.mjs"),
  vae: join(ROOT, "apps/vae/bin/vae.mjs"),
} as const;

export interface Proc {
  child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first match of `re` in the combined output; rejects after timeoutMs or if the process exits first. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

const live = new Set<ChildProcess>();

export function start(bin: keyof typeof BINS, args: string[], opts: { env?: NodeJS.ProcessEnv; deadlineMs?: number } = {}): Proc {
  const env = { ...process.env, ...opts.env };
  delete env.VAE_DEBUG;
  const child = spawn(process.execPath, [BINS[bin], ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const deadline = setTimeout(() => child.kill("SIGKILL"), opts.deadlineMs ?? 240_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.on("exit", (code, signal) => {
      clearTimeout(deadline);
      live.delete(child);
      for (const l of listeners) l();
      resolveExit({ code, signal });
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  return {
    child,
    output: () => out,
    exited,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolveMatch, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) {
            cleanup();
            resolveMatch(m);
          } else if (hasExited || child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`${bin} exited before printing ${re}\n--- output ---\n${out.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${bin} did not print ${re} within ${timeoutMs} ms\n--- output ---\n${out.slice(-4000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** SIGKILLs every child still running and waits until they are gone. */
export async function killAll(): Promise<void> {
  const waits = [...live].map((c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", () => r()))));
  for (const c of live) c.kill("SIGKILL");
  await Promise.all(waits);
}

/** Whether a process with this pid still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `predicate` until true or the timeout. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Keeps a file under test-results/ (gitignored) for a person or CI to read after the run. */
export function saveArtifact(name: string, content: string | Uint8Array): string {
  const dir = join(ROOT, "test-results");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
