// vae-coordinator's flags, parsed once, validated, frozen (STYLE item 12).
import { Command } from "commander";
import { UsageError, addRunConfigOptions, backendFlag, choiceFlag, intFlag, parseRunConfigFlags, stringFlag, type RawFlags } from "@vae/cli";
import { parseLogFormat, type LogFormat } from "@vae/logging";
import type { BackendChoice } from "@vae/model";
import type { RunConfig } from "@vae/training";
import { COORDINATOR_DEFAULTS as D } from "./defaults.ts";

export interface CoordinatorFlags {
  host: string;
  port: number;
  workers: number;
  minWorkers: number;
  spawnWorkers: number;
  spawnBackend: BackendChoice;
  config: RunConfig;
  maxSteps: number;
  algorithm: "ring" | "star";
  compress: "none" | "fp16";
  runDir: string;
  runName: string | undefined;
  resume: string | true | undefined;
  checkpointEvery: number;
  keepCheckpoints: number;
  stepTimeoutMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  token: string;
  tokenGenerated: boolean;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  logFormat: LogFormat;
  timeline: string | undefined;
  digestEvery: number;
  /** Commander keys of the flags given on the command line (the rest took defaults). */
  given: ReadonlySet<string>;
}

/** Settings of a run that are not part of its RunConfig; kept in runs/<run>/coordinator.json so --resume restores them. */
export const RESUMABLE_SETTINGS = ["workers", "minWorkers", "maxSteps", "algorithm", "compress", "checkpointEvery", "keepCheckpoints", "stepTimeoutMs", "digestEvery"] as const;
/** The command-line key of each resumable setting, where it differs. */
const FLAG_KEY: Partial<Record<(typeof RESUMABLE_SETTINGS)[number], string>> = { stepTimeoutMs: "stepTimeout" };

/** `flags` with every resumable setting that was not given on this command line taken from `saved`. */
export function withSavedSettings(flags: CoordinatorFlags, saved: Partial<Record<(typeof RESUMABLE_SETTINGS)[number], unknown>>): CoordinatorFlags {
  const merged: Record<string, unknown> = { ...flags };
  for (const key of RESUMABLE_SETTINGS) {
    if (!flags.given.has(FLAG_KEY[key] ?? key) && saved[key] !== undefined) merged[key] = saved[key];
  }
  return Object.freeze(merged as unknown as CoordinatorFlags);
}

export function coordinatorProgram(): Command {
  const cmd = new Command("vae-coordinator")
    .description("Coordinates a data-parallel VAE training cluster: membership, steps, checkpoints, dashboard and metrics.")
    .option("--host <addr>", `address to bind (default: ${D.host}; 0.0.0.0 to accept remote workers)`)
    .option("--port <n>", `HTTP + WebSocket port; 0 = any free port (default: ${D.port})`)
    .option("--workers <n>", `workers to wait for before the first step (default: ${D.workers})`)
    .option("--min-workers <n>", `below this many workers the run pauses (default: ${D.minWorkers})`)
    .option("--spawn-workers <n>", `start N local worker processes and stop them on exit (default: ${D.spawnWorkers})`)
    .option("--backend <name>", "compute backend of spawned workers: auto|tensorflow-gpu|tensorflow|wasm|cpu (default: auto)")
    .option("--max-steps <n>", `stop after N global steps in total; 0 = all epochs (default: ${D.maxSteps})`)
    .option("--algorithm <name>", `all-reduce: ring or star (default: ${D.algorithm})`)
    .option("--compress <kind>", `gradient compression on the wire: none or fp16 (default: ${D.compress})`)
    .option("--run-dir <dir>", `parent directory of run directories (default: ${D.runDir})`)
    .option("--run-name <name>", "name of this run's directory (default: time and dataset)")
    .option("--resume [run]", "continue from the latest valid checkpoint of a run directory (default: the newest run in --run-dir)")
    .option("--checkpoint-every <n>", `checkpoint every N steps; 0 = only at the end (default: ${D.checkpointEvery})`)
    .option("--keep-checkpoints <n>", `complete checkpoints to keep (default: ${D.keepCheckpoints})`)
    .option("--step-timeout <ms>", `a step not done by every rank within this fails the missing ranks (default: ${D.stepTimeoutMs})`)
    .option("--heartbeat-interval <ms>", `WebSocket ping period (default: ${D.heartbeatIntervalMs})`)
    .option("--heartbeat-timeout <ms>", `no pong for this long: the worker is lost (default: ${D.heartbeatTimeoutMs})`)
    .option("--token <secret>", "shared cluster token (default: $VAE_CLUSTER_TOKEN, or a random one when only spawned workers join)")
    .option("--tls-cert <file>", "serve https/wss with this certificate (PEM)")
    .option("--tls-key <file>", "private key of --tls-cert (PEM)")
    .option("--log-format <f>", "text or json (default: text)")
    .option("--timeline <file>", "write a Chrome trace-event timeline of every rank's step phases")
    .option("--digest-every <n>", `compare every rank's parameter digest every N steps; 0 = only at the end (default: ${D.digestEvery})`);
  addRunConfigOptions(cmd);
  return cmd;
}

export function parseCoordinatorFlags(raw: RawFlags, env: NodeJS.ProcessEnv = process.env): CoordinatorFlags {
  const workers = intFlag("workers", raw.workers, D.workers, 1);
  const spawnWorkers = intFlag("spawn-workers", raw.spawnWorkers, D.spawnWorkers, 0);
  const minWorkers = intFlag("min-workers", raw.minWorkers, D.minWorkers, 1);
  if (minWorkers > workers) throw new UsageError(`--min-workers (${minWorkers}) cannot exceed --workers (${workers})`);
  let token = raw.token === undefined ? env.VAE_CLUSTER_TOKEN ?? "" : stringFlag("token", raw.token, "");
  let tokenGenerated = false;
  if (token === "") {
    // Only our own spawned workers can know a generated token; remote workers need --token.
    token = crypto.randomUUID();
    tokenGenerated = true;
  }
  const tlsCert = raw.tlsCert === undefined ? undefined : stringFlag("tls-cert", raw.tlsCert, "");
  const tlsKey = raw.tlsKey === undefined ? undefined : stringFlag("tls-key", raw.tlsKey, "");
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UsageError("--tls-cert and --tls-key go together: give both or neither");
  const heartbeatIntervalMs = intFlag("heartbeat-interval", raw.heartbeatInterval, D.heartbeatIntervalMs, 10);
  const heartbeatTimeoutMs = intFlag("heartbeat-timeout", raw.heartbeatTimeout, D.heartbeatTimeoutMs, 10);
  if (heartbeatTimeoutMs <= heartbeatIntervalMs) throw new UsageError(`--heartbeat-timeout (${heartbeatTimeoutMs}) must exceed --heartbeat-interval (${heartbeatIntervalMs})`);
  return Object.freeze({
    host: stringFlag("host", raw.host, D.host),
    port: intFlag("port", raw.port, D.port, 0),
    workers,
    minWorkers,
    spawnWorkers,
    spawnBackend: backendFlag(raw),
    config: parseRunConfigFlags(raw),
    maxSteps: intFlag("max-steps", raw.maxSteps, D.maxSteps, 0),
    algorithm: choiceFlag("algorithm", raw.algorithm, D.algorithm, ["ring", "star"] as const),
    compress: choiceFlag("compress", raw.compress, D.compress, ["none", "fp16"] as const),
    runDir: stringFlag("run-dir", raw.runDir, D.runDir),
    runName: raw.runName === undefined ? undefined : stringFlag("run-name", raw.runName, ""),
    resume: raw.resume === undefined ? undefined : raw.resume === true ? true : stringFlag("resume", raw.resume, ""),
    checkpointEvery: intFlag("checkpoint-every", raw.checkpointEvery, D.checkpointEvery, 0),
    keepCheckpoints: intFlag("keep-checkpoints", raw.keepCheckpoints, D.keepCheckpoints, 1),
    stepTimeoutMs: intFlag("step-timeout", raw.stepTimeout, D.stepTimeoutMs, 100),
    heartbeatIntervalMs,
    heartbeatTimeoutMs,
    token,
    tokenGenerated,
    tlsCert,
    tlsKey,
    logFormat: raw.logFormat === undefined ? "text" : parseLogFormatFlag(String(raw.logFormat)),
    timeline: raw.timeline === undefined ? undefined : stringFlag("timeline", raw.timeline, ""),
    digestEvery: intFlag("digest-every", raw.digestEvery, D.digestEvery, 0),
    given: new Set(Object.keys(raw).filter((k) => raw[k] !== undefined)),
  });
}

function parseLogFormatFlag(value: string): LogFormat {
  try {
    return parseLogFormat(value);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
