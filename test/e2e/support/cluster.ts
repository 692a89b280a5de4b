// Starting a coordinator (with spawned workers) for a test, on an ephemeral
// port, in a temporary run directory.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start, type Proc } from "./processes.ts";

export interface Cluster {
  proc: Proc;
  port: number;
  url: string;
  runRoot: string;
  runDir: string;
  /** The coordinator's /api/status. */
  status(): Promise<any>;
  /** Parsed runs/<run>/steps.jsonl. */
  steps(): any[];
}

export const TEST_TOKEN = "test-token";

/** Starts `vae-coordinator --port 0 <args>` and resolves once it listens. */
export async function startCluster(args: string[], opts: { runName?: string; runRoot?: string; deadlineMs?: number } = {}): Promise<Cluster> {
  const runRoot = opts.runRoot ?? mkdtempSync(join(tmpdir(), "vae-e2e-"));
  const runName = opts.runName ?? "run";
  const proc = start("coordinator", ["--port", "0", "--run-dir", runRoot, "--run-name", runName, ...args], {
    env: { VAE_CLUSTER_TOKEN: TEST_TOKEN },
    deadlineMs: opts.deadlineMs,
  });
  const m = await proc.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 60_000);
  const port = Number(m[1]);
  const runDir = join(runRoot, runName);
  return {
    proc,
    port,
    url: `ws://127.0.0.1:${port}`,
    runRoot,
    runDir,
    status: async () => (await fetch(`http://127.0.0.1:${port}/api/status`)).json(),
    steps: () =>
      readFileSync(join(runDir, "steps.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}
