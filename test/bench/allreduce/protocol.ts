// IPC messages between the benchmark's parent and its rank processes.
export type Algo = "raw" | "ring" | "ring-fp16" | "star";

export type ToRank =
  | { type: "init"; rank: number; worldSize: number; token: string }
  | { type: "connect"; peerPorts: number[]; rawPorts: number[]; hubUrl: string }
  /** Times every algorithm in `algos`, interleaved repetition by repetition so that load changes hit all alike. */
  | { type: "run"; algos: Algo[]; elements: number; warmup: number; reps: number; chunkElements: number }
  | { type: "exit" };

export type FromRank =
  | { type: "ports"; peerPort: number; rawPort: number; bufferutil: string }
  | { type: "connected" }
  /** Wall ms and CPU ms (user + system of this process) per timed repetition. */
  | { type: "times"; ms: Partial<Record<Algo, number[]>>; cpuMs: Partial<Record<Algo, number[]>>; checksums: Partial<Record<Algo, number>> }
  | { type: "error"; message: string };
