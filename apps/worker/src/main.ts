// vae-worker: backend → peer and metrics servers → join the coordinator → serve
// steps until told to stop. SIGTERM/SIGINT: finish or abandon the step in
// flight, say `leave`, close everything, exit 0. A lost coordinator is redialled.
import { EXIT_FAILURE, parseCommandLine } from "@vae/cli";
import { createLogger } from "@vae/logging";
import { createWorkerMetrics, startMetricsServer, type MetricsServer } from "@vae/metrics";
import { paramCount, selectBackend } from "@vae/model";
import { Connection, PeerServer, StarChannel, message, type Message } from "@vae/protocol";
import { STATS_LENGTH } from "@vae/training";
import { ringCollective, soloCollective, starCollective } from "./collectives.ts";
import { FatalSessionError, backoffDelay, controlUrl, runSession } from "./control-client.ts";
import { WORKER_DEFAULTS } from "./defaults.ts";
import { parseWorkerFlags, workerProgram, type WorkerFlags } from "./flags.ts";
import { watchParent } from "./parent-watch.ts";
import { WorkerNode, type GenerationInfo } from "./worker-node.ts";

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(workerProgram().exitOverride(), argv, (opts) => parseWorkerFlags(opts));
  if ("exitCode" in parsed) return parsed.exitCode;
  const flags: WorkerFlags = parsed;
  const log = createLogger(`worker ${flags.workerId}`, flags.logFormat);
  const url = controlUrl(flags.coordinator);
  const backend = await selectBackend(flags.backend, (line) => log.info(line));
  const metrics = createWorkerMetrics();
  metrics.setInfo({ backend: backend.name, version: "0.1.0" });
  const onRejected = (err: { code: string; message: string }) => {
    metrics.rejectedMessages.inc({ reason: err.code });
    log.warn(`rejected a message: ${err.code}: ${err.message}`);
  };
  const onStale = () => metrics.rejectedMessages.inc({ reason: "VAE_ERR_STALE_GENERATION" });
  const peerServer = await PeerServer.listen({ token: flags.token, port: flags.peerPort, host: flags.bindHost, onRejected });
  const metricsServer: MetricsServer | null = flags.metricsPort === null ? null : await startMetricsServer(metrics.registry, { port: flags.metricsPort, host: flags.bindHost });
  log.info(`peer server on ${flags.bindHost}:${peerServer.port}${metricsServer ? `, metrics at ${metricsServer.url}` : ""}; advertising ${flags.advertiseHost || "the address this host reaches the coordinator from"}`);

  let conn: Connection<"toWorker"> | null = null;
  let star: StarChannel | null = null;
  const reply = (m: Record<string, unknown>) => {
    if (conn?.isOpen) void conn.send(message(m.type as any, m as any) as Message).catch(() => {});
  };
  const node = new WorkerNode(
    async (gen: GenerationInfo, signal: AbortSignal) => {
      if (gen.worldSize === 1) return soloCollective();
      if (gen.algorithm === "star") return starCollective(gen, star!);
      return ringCollective(gen, peerServer, flags.token, onRejected, onStale, signal);
    },
    reply,
    log,
    metrics,
  );

  let stopping = false;
  let parameterCount: number | undefined;
  const shutdown = async (why: string, leave: boolean): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`stopping: ${why}`);
    if (leave && conn?.isOpen) {
      // Finish the step in flight (bounded), then say goodbye so the others move on at once.
      await Promise.race([node.drain(), new Promise((r) => setTimeout(r, 5_000))]);
      await conn.send(message("leave", { reason: why })).catch(() => {});
      conn.close(1000, "leaving");
    } else conn?.close(1000, "stopping");
    node.dispose();
    await peerServer.close();
    await metricsServer?.close();
  };
  const onSignal = (sig: NodeJS.Signals) => void shutdown(`received ${sig}`, true).then(() => process.exit(0));
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  if (flags.parentPid !== null) watchParent(flags.parentPid, () => void shutdown("the coordinator process is gone", false).then(() => process.exit(0)));

  let attempt = 0;
  let lostSince = Date.now();
  while (!stopping) {
    try {
      const result = await runSession(url, flags.token, {
        workerId: flags.workerId,
        host: flags.advertiseHost,
        backend: backend.name,
        peer: { host: flags.advertiseHost, port: peerServer.port },
        metricsPort: metricsServer?.port ?? null,
        expect: flags.expect,
      }, {
        onConnected: (c) => {
          conn = c;
          star = new StarChannel(c);
        },
        onWelcome: (runId, config) => {
          attempt = 0;
          node.setRun(runId, config, flags.dataDir);
          parameterCount = paramCount((config as { model: Parameters<typeof paramCount>[0] }).model);
        },
        onMessage: (msg) => {
          if (msg.type === "reduced") star?.deliver(msg as any);
          else node.handle(msg);
        },
        context: () => (parameterCount === undefined ? {} : { paramCount: parameterCount, gradientLength: parameterCount + STATS_LENGTH, compress: node.generation?.compress ?? "none" }),
        generation: () => node.generation?.g,
        onRejected,
      }, log);
      if (result.stopped) {
        await shutdown(`the coordinator ended the run: ${result.reason}`, false);
        return 0;
      }
      log.warn(`lost the coordinator: ${result.reason}`);
      lostSince = Date.now();
    } catch (err) {
      if (err instanceof FatalSessionError) {
        log.error(err.message);
        await shutdown("refused by the coordinator", false);
        return EXIT_FAILURE;
      }
      if (stopping) break;
      log.warn(`cannot reach the coordinator at ${url}: ${(err as Error).message}`);
    }
    node.abortCollective(new Error("the coordinator connection is gone"));
    if (WORKER_DEFAULTS.reconnectGiveUpMs > 0 && Date.now() - lostSince > WORKER_DEFAULTS.reconnectGiveUpMs) break;
    const delay = backoffDelay(attempt++, WORKER_DEFAULTS.reconnectInitialMs, WORKER_DEFAULTS.reconnectMaxMs);
    await new Promise((r) => setTimeout(r, delay));
  }
  await shutdown("gave up reconnecting", false);
  return stopping ? 0 : EXIT_FAILURE;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`vae-worker: ${(err as Error).message}\n${process.env.VAE_DEBUG === "1" ? (err as Error).stack : ""}`);
    process.exit(EXIT_FAILURE);
  },
);
