// Prometheus HTTP service discovery (https://prometheus.io/docs/prometheus/latest/http_sd/):
// the coordinator answers `GET /api/sd` with the metrics endpoint of every
// current worker, labelled with its rank, id and host. Prometheus attaches the
// labels to every series it scrapes from that target. See Note [Target labels].

/** What the coordinator knows about one member of the current generation. */
export interface WorkerEndpoint {
  rank: number;
  workerId: string;
  /** The host the worker advertised (`--advertise-host`), reachable from Prometheus. */
  host: string;
  /** The worker's `--metrics-port`; absent, null or 0 when it serves no metrics. */
  metricsPort?: number | null;
}

/** One element of the http_sd response. */
export interface TargetGroup {
  targets: string[];
  labels: { rank: string; worker_id: string; host: string };
}

/**
 * Builds the http_sd JSON body: one target group per worker that serves
 * metrics, ordered by rank so that the answer is stable between polls.
 */
export function serviceDiscoveryTargets(workers: readonly WorkerEndpoint[]): TargetGroup[] {
  const groups: { rank: number; group: TargetGroup }[] = [];
  for (const w of workers) {
    if (w.metricsPort === undefined || w.metricsPort === null || w.metricsPort === 0) continue;
    if (!Number.isInteger(w.metricsPort) || w.metricsPort < 1 || w.metricsPort > 65535) {
      throw new RangeError(`worker ${w.workerId} (rank ${w.rank}): metricsPort must be an integer in [1, 65535], got ${w.metricsPort}`);
    }
    if (!Number.isInteger(w.rank) || w.rank < 0) {
      throw new RangeError(`worker ${w.workerId}: rank must be an integer >= 0, got ${w.rank}`);
    }
    if (w.host === "") throw new RangeError(`worker ${w.workerId} (rank ${w.rank}): host is empty`);
    // An IPv6 literal needs brackets before the port; a bracketed one already has them.
    const host = w.host.includes(":") && !w.host.startsWith("[") ? `[${w.host}]` : w.host;
    groups.push({
      rank: w.rank,
      group: {
        targets: [`${host}:${w.metricsPort}`],
        labels: { rank: String(w.rank), worker_id: w.workerId, host: w.host },
      },
    });
  }
  return groups.sort((a, b) => a.rank - b.rank).map((g) => g.group);
}
