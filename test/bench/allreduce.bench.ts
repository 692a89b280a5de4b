// npm run bench:allreduce — ring and star all-reduce between separate processes
// over real WebSockets on 127.0.0.1, against a raw-TCP ring (same algorithm,
// node:net, length-prefixed frames) measured in the same run.
//
// For each (algorithm, W, size): the median over repetitions after warm-up of
// the slowest rank's time (a 1-element raw all-reduce before each repetition
// lines the ranks up), algbw = S/t and busbw = algbw·2(W−1)/W (nccl-tests'
// definitions), and the ratio of busbw to the raw ring's.
//
// Options: --workers 2,3,4  --sizes 65536,1048576,2612000,16777216  --chunk-elements N
//          --sweep (also time chunk sizes for 2.6 MB at W=2)  --quick (fewer repetitions)
//          --cpu-prof DIR (V8 CPU profiles of the rank processes, for tuning)
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { DEFAULT_RING_CHUNK_ELEMENTS, StarHub, type WireArray } from "@vae/allreduce";
import { Connection, createWsServer, message, wsServerPort, type Reduced } from "@vae/protocol";
import type { Algo, FromRank, ToRank } from "./allreduce/protocol.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const WORKERS = (arg("workers") ?? "2,3,4").split(",").map(Number);
const SIZES = (arg("sizes") ?? `${64 * KiB},${MiB},2612000,${16 * MiB}`).split(",").map(Number);
const CHUNK = Number(arg("chunk-elements") ?? DEFAULT_RING_CHUNK_ELEMENTS);
const QUICK = process.argv.includes("--quick");
const SWEEP = process.argv.includes("--sweep");
const CPU_PROF = arg("cpu-prof");
const DEADLINE_MS = 10 * 60_000; // the whole run; a hung collective must not hang the bench

/** Repetitions per figure: fewer for big buffers and many ranks (2 cores are shared by all processes). */
function reps(bytes: number, w: number): { warmup: number; reps: number } {
  const base = bytes <= MiB ? 40 : bytes <= 4 * MiB ? 25 : w >= 4 ? 6 : 10;
  const r = QUICK ? Math.max(3, Math.ceil(base / 4)) : base;
  return { warmup: Math.max(2, Math.ceil(r / 5)), reps: r };
}

// --- child processes: always killed, whatever happens -----------------------
const children = new Set<ChildProcess>();
function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
const watchdog = setTimeout(() => {
  console.error(`allreduce bench: no result after ${DEADLINE_MS / 1000} s, giving up`);
  process.exit(2);
}, DEADLINE_MS);
watchdog.unref();

class Rank {
  private readonly inbox: FromRank[] = [];
  private waiter: ((m: FromRank) => void) | null = null;
  readonly proc: ChildProcess;

  constructor(readonly rank: number) {
    this.proc = fork(fileURLToPath(new URL("./allreduce/rank.ts", import.meta.url)), [], {
      execArgv: ["--import", "tsx", ...(CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", CPU_PROF] : [])],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children.add(this.proc);
    this.proc.on("message", (m: FromRank) => {
      const w = this.waiter;
      this.waiter = null;
      if (w) w(m);
      else this.inbox.push(m);
    });
    this.proc.on("exit", (code, signal) => {
      children.delete(this.proc);
      const w = this.waiter;
      this.waiter = null;
      w?.({ type: "error", message: `rank ${rank} exited (${code ?? signal})` });
    });
  }

  send(m: ToRank): void {
    this.proc.send(m);
  }

  async next<T extends FromRank["type"]>(type: T): Promise<Extract<FromRank, { type: T }>> {
    const m = this.inbox.shift() ?? (await new Promise<FromRank>((r) => (this.waiter = r)));
    if (m.type === "error") throw new Error(m.message);
    if (m.type !== type) throw new Error(`rank ${this.rank}: expected ${type}, got ${m.type}`);
    return m as Extract<FromRank, { type: T }>;
  }
}

// --- the star hub (the coordinator's role) ----------------------------------
async function startHub(worldSize: number) {
  const wss = await createWsServer("control", { port: 0 });
  const conns: Connection<"toCoordinator">[] = [];
  const rounds = new Map<number, StarHub>();
  wss.on("connection", (ws, req) => {
    const rank = Number(new URL(req.url ?? "", "http://x").searchParams.get("rank"));
    const conn = new Connection(ws, { channel: "toCoordinator" });
    conns[rank] = conn;
    conn.onMessage((m) => {
      if (m.type !== "reduce") return;
      let hub = rounds.get(m.step);
      if (!hub) rounds.set(m.step, (hub = new StarHub(worldSize, m.data.length, m.data instanceof Uint16Array ? "fp16" : "none")));
      if (!hub.contribute(rank, m.data)) return;
      rounds.delete(m.step);
      const reply = message("reduced", { g: m.g, step: m.step, data: hub.result() as WireArray }) as Reduced;
      for (const c of conns) void c.send(reply);
    });
  });
  return {
    url: `ws://127.0.0.1:${wsServerPort(wss)}/cluster`,
    close: () => new Promise<void>((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => r()))),
  };
}

// --- measurement ------------------------------------------------------------
interface Figure {
  algo: Algo;
  W: number;
  bytes: number;
  chunkElements: number;
  reps: number;
  median_ms: number;
  min_ms: number;
  /** CPU time per all-reduce, summed over the ranks (median); less sensitive than wall time to other load on the machine. */
  cpu_ms: number;
  algbw_GBps: number;
  busbw_GBps: number;
  ratio_to_raw: number | null;
  /** The same ratio from the fastest repetitions (min_ms): closer to the undisturbed figure on a busy machine. */
  ratio_min_to_raw: number | null;
  /** 1-minute load average when the figure was taken: other work on the machine skews wall times. */
  load1: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Times `algos` for one size, interleaved; each figure is the median over repetitions of the slowest rank. */
async function measure(ranks: Rank[], algos: Algo[], bytes: number, chunkElements: number): Promise<Figure[]> {
  const w = ranks.length;
  const { warmup, reps: n } = reps(bytes, w);
  for (const r of ranks) r.send({ type: "run", algos, elements: bytes / 4, warmup, reps: n, chunkElements });
  const results = await Promise.all(ranks.map((r) => r.next("times")));
  return algos.map((algo) => {
    const checks = new Set(results.map((r) => r.checksums[algo]));
    if (checks.size !== 1) throw new Error(`${algo} W=${w} ${bytes} B: ranks disagree on the result (${[...checks].join(" vs ")})`);
    const slowest = results[0].ms[algo]!.map((_, i) => Math.max(...results.map((r) => r.ms[algo]![i])));
    const t = median(slowest) / 1000;
    const algbw = bytes / t / 1e9;
    return {
      algo,
      W: w,
      bytes,
      chunkElements,
      reps: n,
      median_ms: +(t * 1000).toFixed(3),
      min_ms: +Math.min(...slowest).toFixed(3),
      cpu_ms: +results.reduce((acc, r) => acc + median(r.cpuMs[algo]!), 0).toFixed(3),
      algbw_GBps: +algbw.toFixed(3),
      busbw_GBps: +((algbw * 2 * (w - 1)) / w).toFixed(3),
      ratio_to_raw: null,
      ratio_min_to_raw: null,
      load1: +loadavg()[0].toFixed(2),
    };
  });
}

function withRatios(figs: Figure[]): Figure[] {
  const raw = figs.find((f) => f.algo === "raw")!;
  for (const f of figs) {
    f.ratio_to_raw = +(f.busbw_GBps / raw.busbw_GBps).toFixed(3);
    f.ratio_min_to_raw = +(raw.min_ms / f.min_ms).toFixed(3);
  }
  return figs;
}

function fmtBytes(b: number): string {
  if (b % MiB === 0) return `${b / MiB} MiB`;
  if (b % KiB === 0) return `${b / KiB} KiB`;
  return `${(b / 1e6).toFixed(3)} MB`;
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const token = randomBytes(16).toString("hex");
  console.log(
    `all-reduce benchmark: W=${WORKERS.join(",")}, sizes ${SIZES.map(fmtBytes).join(", ")}, chunk ${CHUNK} elements${QUICK ? ", quick" : ""}; ` +
      `${cpus().length} CPUs, load average ${loadavg()[0].toFixed(2)}`,
  );
  const started = performance.now();
  for (const w of WORKERS) {
    const hub = await startHub(w);
    const ranks = Array.from({ length: w }, (_, r) => new Rank(r));
    try {
      ranks.forEach((r) => r.send({ type: "init", rank: r.rank, worldSize: w, token }));
      const ports = await Promise.all(ranks.map((r) => r.next("ports")));
      if (ports.some((p) => p.bufferutil !== "native")) console.warn(`warning: bufferutil is ${ports[0].bufferutil}, not native`);
      ranks.forEach((r) =>
        r.send({ type: "connect", peerPorts: ports.map((p) => p.peerPort), rawPorts: ports.map((p) => p.rawPort), hubUrl: hub.url }),
      );
      await Promise.all(ranks.map((r) => r.next("connected")));
      for (const bytes of SIZES) {
        const algos: Algo[] = ["raw", "ring", "star", ...(bytes === 2612000 ? (["ring-fp16"] as Algo[]) : [])];
        for (const f of withRatios(await measure(ranks, algos, bytes, CHUNK))) {
          figures.push(f);
          console.log(JSON.stringify({ bench: "allreduce", ...f }));
        }
      }
      if (SWEEP && w === 2) {
        for (const chunk of [4096, 16384, 32768, 65536, 131072, 262144, 326500]) {
          const [rawFig, f] = withRatios(await measure(ranks, ["raw", "ring"], 2612000, chunk));
          console.log(JSON.stringify({ bench: "allreduce-chunk-sweep", ...f, raw_median_ms: rawFig.median_ms }));
        }
      }
      ranks.forEach((r) => r.send({ type: "exit" }));
      await Promise.all(ranks.map((r) => new Promise((res) => (r.proc.exitCode !== null ? res(null) : r.proc.once("exit", res)))));
    } finally {
      killAll();
      await hub.close();
    }
  }

  console.log("");
  console.log(`took ${((performance.now() - started) / 1000).toFixed(0)} s; load average now ${loadavg()[0].toFixed(2)}`);
  console.log("algo       W  size        median ms   min ms   CPU ms   algbw GB/s  busbw GB/s  × raw busbw (median, min)");
  for (const f of figures) {
    console.log(
      `${f.algo.padEnd(10)} ${String(f.W).padStart(1)}  ${fmtBytes(f.bytes).padEnd(10)} ${f.median_ms.toFixed(3).padStart(10)} ${f.min_ms.toFixed(2).padStart(8)} ${f.cpu_ms.toFixed(2).padStart(8)}  ${f.algbw_GBps
        .toFixed(3)
        .padStart(10)}  ${f.busbw_GBps.toFixed(3).padStart(10)}  ${(f.ratio_to_raw ?? 1).toFixed(2).padStart(10)} ${(f.ratio_min_to_raw ?? 1).toFixed(2).padStart(6)}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
