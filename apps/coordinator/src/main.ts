// vae-coordinator: config → run directory → HTTP + /cluster → (spawned workers)
// → the step loop → final checkpoint → stop workers → free the port → exit 0.
import type { Socket } from "node:net";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { EXIT_FAILURE, EXIT_USAGE, UsageError, parseCommandLine, localTokenPath, writeLocalToken, createLogProgress, createProgress, withImageSize } from "@vae/cli";
import { findLatestValid } from "@vae/checkpoint";
import type { Dataset } from "@vae/data";
import { createLogger } from "@vae/logging";
import { TimelineWriter, createCoordinatorMetrics } from "@vae/metrics";
import { paramCount } from "@vae/model";
import { STATS_LENGTH, createRunDir, loadRunDataset, openRunDir, validateRunConfig, type RunConfig, type RunDir } from "@vae/training";
import { Coordinator } from "./coordinator.ts";
import { startControlServer } from "./control-server.ts";
import { COORDINATOR_DEFAULTS } from "./defaults.ts";
import { RESUMABLE_SETTINGS, coordinatorProgram, parseCoordinatorFlags, withSavedSettings, type CoordinatorFlags } from "./flags.ts";
import { closeServer, createHttpServer, listen } from "./http-server.ts";
import { SpawnedWorkers } from "./spawn-workers.ts";
import { statusOf } from "./status.ts";
import { createDashboard } from "./dashboard.ts";

/** The newest run directory under `parent` (by modification time), for a bare --resume. */
function newestRun(parent: string): string {
  if (!existsSync(parent)) throw new UsageError(`--resume: no run directory ${parent}`);
  const runs = readdirSync(parent)
    .map((name) => join(parent, name))
    .filter((p) => existsSync(join(p, "checkpoints")))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (runs.length === 0) throw new UsageError(`--resume: no run with checkpoints in ${parent}`);
  return runs[0]!;
}

/** The run directory and config: a new run from the flags, or --resume's run from its checkpoint and saved settings. */
async function prepareRun(flags: CoordinatorFlags): Promise<{ flags: CoordinatorFlags; config: RunConfig; runDir: RunDir; dataset: Dataset; resume: boolean }> {
  if (flags.resume === undefined) {
    const dataset = loadRunDataset(flags.config);
    const config = withImageSize(flags.config, dataset.train.rows, dataset.train.cols);
    const runDir = createRunDir(flags.runDir, config, flags.runName);
    writeFileSync(join(runDir.root, "coordinator.json"), JSON.stringify(Object.fromEntries(RESUMABLE_SETTINGS.map((k) => [k, flags[k]])), null, 2) + "\n");
    return { flags, config, runDir, dataset, resume: false };
  }
  const root = flags.resume === true ? newestRun(flags.runDir) : flags.resume;
  const found = await findLatestValid(join(root, "checkpoints"), (line) => process.stderr.write(`${line}\n`));
  if (!found) throw new UsageError(`--resume ${root}: no valid checkpoint in ${join(root, "checkpoints")}`);
  const saved = existsSync(join(root, "coordinator.json")) ? JSON.parse(readFileSync(join(root, "coordinator.json"), "utf8")) : {};
  const stored = found.data.config as RunConfig;
  // The checkpoint fixes the run's numbers; only --epochs may extend it.
  const config = validateRunConfig({ ...stored, epochs: flags.given.has("epochs") ? flags.config.epochs : stored.epochs });
  return { flags: withSavedSettings(flags, saved), config, runDir: openRunDir(root, config), dataset: loadRunDataset(config), resume: true };
}


async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(coordinatorProgram().exitOverride(), argv, (opts) => parseCoordinatorFlags(opts));
  if ("exitCode" in parsed) return parsed.exitCode;
  let flags: CoordinatorFlags = parsed;
  // Text logs go through the progress display, which prints them above its bar
  // on a terminal; JSON logs go straight out, and progress becomes JSON records.
  const display = flags.logFormat === "json" ? null : createProgress(process.stdout);
  const log = createLogger("coordinator", flags.logFormat, undefined, display ? (line) => display.line(line) : undefined);
  const progress = display ?? createLogProgress((fields, text) => log.info(fields, text));
  const prepared = await prepareRun(flags);
  flags = prepared.flags;
  const { config, runDir, dataset } = prepared;
  const runId = basename(runDir.root);
  const params = paramCount(config.model);
  const metrics = createCoordinatorMetrics();
  metrics.setInfo({ version: "0.1.0" });
  const timeline = flags.timeline ? await TimelineWriter.open(flags.timeline) : null;

  const coordinator = new Coordinator(
    {
      config, runId, trainCount: dataset.train.count, testCount: dataset.test.count,
      workers: flags.workers, minWorkers: flags.minWorkers, maxSteps: flags.maxSteps,
      algorithm: flags.algorithm, compress: flags.compress,
      checkpointEvery: flags.checkpointEvery, keepCheckpoints: flags.keepCheckpoints,
      stepTimeoutMs: flags.stepTimeoutMs, digestEvery: flags.digestEvery, resume: prepared.resume,
    },
    runDir, log, metrics,
    {
      onStep: (r) => {
        progress.update({
          epoch: r.epoch + 1, epochs: config.epochs, stepInEpoch: r.stepInEpoch + 1, stepsPerEpoch: r.stepsPerEpoch,
          globalStep: r.step + 1, totalSteps: r.totalSteps, loss: r.loss, samplesPerSecond: r.samplesPerSecond,
          etaSeconds: r.samplesPerSecond > 0 ? ((r.totalSteps - r.step - 1) * config.batchSize) / r.samplesPerSecond : NaN,
        });
        dashboard.feed.onStep(r);
        if (timeline) {
          // Phases as each rank measured them; what is left of the coordinator's step time is waiting (messages, stragglers).
          const startMs = Date.now() - r.durationMs;
          for (const x of r.ranks) {
            const waitMs = Math.max(0, r.durationMs - x.computeMs - x.allreduceMs - x.applyMs);
            timeline.step(x.rank, { step: r.step, generation: r.generation, startMs, waitMs, computeMs: x.computeMs, allreduceMs: x.allreduceMs, applyMs: x.applyMs });
          }
        }
      },
      onGeneration: (g, members) => {
        for (const m of members) timeline?.nameRank(m.rank!, m.workerId);
        timeline?.generation(g, Date.now(), { workers: members.length });
        dashboard.feed.onState();
      },
      onState: (s) => {
        metrics.setState(s);
        dashboard.feed.onState();
      },
      onEpoch: (r) => dashboard.feed.onEpoch(r),
      onSamples: (_png, epoch) => dashboard.feed.onSamples(epoch),
    },
  );
  const startedAt = new Date().toISOString();
  const status = () => statusOf(coordinator, { runId, runDir: runDir.root, startedAt });
  const dashboard = createDashboard({ status, samplesPng: () => coordinator.lastSamplesPng, reconstructionsPng: () => coordinator.lastReconstructionsPng });
  coordinator.membership.onEvent = (e) => dashboard.feed.onMembership(e);

  const sockets = new Set<Socket>();
  const server = createHttpServer(
    { host: flags.host, port: flags.port, tlsCert: flags.tlsCert, tlsKey: flags.tlsKey },
    {
      status,
      workers: () => coordinator.membership.list(),
      registry: metrics.registry,
      dashboard: (req, res) => dashboard.handle(req, res),
    },
  );
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const wss = await startControlServer(server, coordinator, {
    token: flags.token, config, runId, paramCount: params, gradientLength: params + STATS_LENGTH,
    heartbeatIntervalMs: flags.heartbeatIntervalMs, heartbeatTimeoutMs: flags.heartbeatTimeoutMs,
    onRejected: (err) => metrics.rejectedMessages.inc({ reason: err.code }),
  }, log);
  const port = await listen(server, flags.host, flags.port);
  const scheme = flags.tlsCert ? "https" : "http";
  const wsScheme = flags.tlsCert ? "wss" : "ws";
  const shownHost = flags.host === "0.0.0.0" ? "127.0.0.1" : flags.host;
  log.info(`run ${runId}: ${runDir.root}`);
  log.info(`dashboard ${scheme}://${shownHost}:${port}/  workers join with: npx vae-worker --coordinator ${wsScheme}://${shownHost}:${port}`);
  log.info(`${config.dataset}: ${dataset.train.count} training images, ${coordinator.schedule.stepsPerEpoch} steps per epoch of global batch ${config.batchSize}; ${params} parameters; ${flags.algorithm} all-reduce${flags.compress === "fp16" ? " with fp16 compression" : ""}`);
  // See Note [Local token file].
  const removeLocalToken = flags.tokenGenerated ? writeLocalToken(port, flags.token) : () => {};
  if (flags.tokenGenerated) {
    log.info(`no --token or VAE_CLUSTER_TOKEN: generated one; workers on this host find it in ${localTokenPath(port)}, remote workers need --token (set one with --token or VAE_CLUSTER_TOKEN)`);
  }
  // The URL line for scripts and tests that started us with --port 0 (a record of its own in JSON logs).
  const url = `${scheme}://${shownHost}:${port}`;
  if (flags.logFormat === "json") log.info({ url }, `listening on ${url}`);
  else process.stdout.write(`listening on ${url}\n`);

  const spawned = new SpawnedWorkers({
    count: flags.spawnWorkers, coordinatorUrl: `${wsScheme}://${shownHost}:${port}`, token: flags.token, backend: flags.spawnBackend,
    log: (line) => log.info(line),
  });
  spawned.startAll();

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) coordinator.requestStop(`received ${sig}`);
    else {
      log.warn(`second ${sig}: exiting now`);
      void spawned.stopAll(0).finally(() => process.exit(130));
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    await coordinator.run();
  } finally {
    progress.stop();
    // Workers were sent `stop` and exit by themselves; SIGTERM (then SIGKILL) only the ones that do not.
    await spawned.waitForExit(3_000);
    await spawned.stopAll(COORDINATOR_DEFAULTS.shutdownGraceMs);
    coordinator.closeAll();
    dashboard.close();
    wss.close();
    await closeServer(server, sockets);
    await timeline?.close();
    removeLocalToken();
  }
  return 0;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`vae-coordinator: ${(err as Error).message}\n${process.env.VAE_DEBUG === "1" ? (err as Error).stack : ""}`);
    process.exit(err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE);
  },
);
