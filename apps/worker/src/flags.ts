// vae-worker's flags, parsed once, validated, frozen (STYLE item 12).
import { hostname } from "node:os";
import { Command } from "commander";
import { UsageError, backendFlag, intFlag, isLoopbackUrl, readLocalToken, stringFlag, type RawFlags } from "@vae/cli";
import { parseLogFormat, type LogFormat } from "@vae/logging";
import type { BackendChoice } from "@vae/model";
import { WORKER_DEFAULTS as D } from "./defaults.ts";

export interface WorkerFlags {
  coordinator: string;
  token: string;
  backend: BackendChoice;
  bindHost: string;
  /** "" = decide once connected: the local address of the coordinator connection. */
  advertiseHost: string;
  peerPort: number;
  metricsPort: number | null;
  workerId: string;
  parentPid: number | null;
  expect: { dataset?: string; seed?: number };
  dataDir: string | undefined;
  logFormat: LogFormat;
}

export function workerProgram(): Command {
  return new Command("vae-worker")
    .description("A worker of a vae-cluster: holds one model replica and computes gradients on its shard of every step.")
    .option("--coordinator <url>", `the coordinator (default: ${D.coordinator})`)
    .option("--token <secret>", "shared cluster token (default: $VAE_CLUSTER_TOKEN)")
    .option("--backend <name>", `compute backend: auto|tensorflow-gpu|tensorflow|wasm|cpu (default: ${D.backend})`)
    .option("--host <addr>", "address the peer and metrics servers bind (default: 127.0.0.1 for a coordinator on this host, else 0.0.0.0)")
    .option("--advertise-host <addr>", "address other workers and Prometheus use to reach this one (default: the local address of the connection to the coordinator)")
    .option("--peer-port <n>", `ring data channel port; 0 = any free port (default: ${D.peerPort})`)
    .option("--metrics-port <n>", `/metrics port; 0 = any free port, -1 = none (default: ${D.metricsPort})`)
    .option("--id <name>", "worker id, unique in the cluster (default: host-pid)")
    .option("--parent-pid <pid>", "exit when this process is gone (set by vae-coordinator --spawn-workers)")
    .option("--dataset <name>", "refuse to join a run on another dataset")
    .option("--seed <n>", "refuse to join a run with another seed")
    .option("--data-dir <dir>", "where this host keeps the dataset's IDX files")
    .option("--log-format <f>", "text or json (default: text)");
}

export function parseWorkerFlags(raw: RawFlags, env: NodeJS.ProcessEnv = process.env): WorkerFlags {
  const coordinator = stringFlag("coordinator", raw.coordinator, D.coordinator);
  if (!/^wss?:\/\//.test(coordinator)) throw new UsageError(`--coordinator: expected a ws:// or wss:// URL, got "${coordinator}"`);
  // See Note [Local token file].
  const token = raw.token === undefined ? env.VAE_CLUSTER_TOKEN || readLocalToken(coordinator, env) || "" : stringFlag("token", raw.token, "");
  if (token === "") throw new UsageError("no cluster token: pass --token or set VAE_CLUSTER_TOKEN (the coordinator's)");
  // A worker of a remote coordinator must be reachable by its ring neighbours: listen on every interface.
  const loopback = isLoopbackUrl(coordinator);
  const bindHost = stringFlag("host", raw.host, D.peerHost || (loopback ? "127.0.0.1" : "0.0.0.0"));
  const advertise = raw.advertiseHost === undefined ? (bindHost === "0.0.0.0" || bindHost === "::" ? D.advertiseHost : bindHost) : stringFlag("advertise-host", raw.advertiseHost, "");
  const metricsPort = intFlag("metrics-port", raw.metricsPort === "-1" ? undefined : raw.metricsPort, D.metricsPort, 0);
  let logFormat: LogFormat = "text";
  if (raw.logFormat !== undefined) {
    try {
      logFormat = parseLogFormat(String(raw.logFormat));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return Object.freeze({
    coordinator,
    token,
    backend: backendFlag(raw),
    bindHost,
    advertiseHost: advertise,
    peerPort: intFlag("peer-port", raw.peerPort, D.peerPort, 0),
    metricsPort: raw.metricsPort === "-1" ? null : metricsPort,
    workerId: raw.id === undefined ? `${hostname()}-${process.pid}` : stringFlag("id", raw.id, ""),
    parentPid: raw.parentPid === undefined ? null : intFlag("parent-pid", raw.parentPid, 0, 1),
    expect: {
      ...(raw.dataset !== undefined ? { dataset: stringFlag("dataset", raw.dataset, "") } : {}),
      ...(raw.seed !== undefined ? { seed: intFlag("seed", raw.seed, 0, 0) } : {}),
    },
    dataDir: raw.dataDir === undefined ? undefined : stringFlag("data-dir", raw.dataDir, ""),
    logFormat,
  });
}

