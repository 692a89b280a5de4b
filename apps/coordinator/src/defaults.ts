// Every default of vae-coordinator, in one place, with its unit or intent.
export const COORDINATOR_DEFAULTS = Object.freeze({
  port: 7070, // HTTP + WebSocket port: dashboard, /metrics, /api/*, /cluster
  host: "127.0.0.1", // bind address; 0.0.0.0 to accept workers from other hosts
  workers: 2, // workers to wait for before the first step
  minWorkers: 1, // below this the run pauses in state "waiting"
  spawnWorkers: 0, // local worker processes to start (npm start uses 2)
  dataset: "mnist",
  epochs: 10,
  maxSteps: 0, // 0 = no limit beyond --epochs
  batchSize: 128, // global batch B, over all workers together
  learningRate: 1e-3, // Adam
  seed: 1,
  hidden: "400", // comma-separated hidden layer sizes of the MLP
  latent: 20, // latent dimensions
  decoder: "bernoulli" as "bernoulli" | "gaussian",
  beta: 1, // KL weight
  algorithm: "ring" as "ring" | "star", // all-reduce algorithm
  compress: "none" as "none" | "fp16", // gradient compression on the wire
  runDir: "runs", // parent of runs/<run>/
  checkpointEvery: 200, // steps between checkpoints (also written at the end)
  keepCheckpoints: 3, // complete checkpoints kept on disk
  stepTimeoutMs: 30_000, // a step not done by every rank within this is a failure of the missing ranks
  heartbeatIntervalMs: 1_000, // WebSocket ping period
  heartbeatTimeoutMs: 5_000, // no pong for this long: the worker is declared lost
  digestEvery: 100, // steps between cross-rank parameter digest checks (also at the last step)
  shutdownGraceMs: 10_000, // how long spawned workers get to exit after SIGTERM
});
