// One valid example of every message, for tests (of this lib and of the apps).
import { encodeF16 } from "@vae/allreduce";
import { message, type Message, type MessageType } from "../messages.ts";

const bytes32 = (fill: number) => new Uint8Array(32).fill(fill);

export function validMessages(n = 4): { [T in MessageType]: Extract<Message, { type: T }> } {
  const params = () => Float32Array.from({ length: n }, (_, i) => i / 10);
  return {
    challenge: message("challenge", { nonce: bytes32(1) }),
    hello: message("hello", {
      workerId: "w-1",
      host: "gpu-1",
      pid: 1234,
      backend: "cpu",
      peer: { host: "10.0.0.2", port: 7071 },
      metricsPort: null,
      clientNonce: bytes32(2),
      proof: bytes32(3),
      expect: { dataset: "mnist", seed: 42, model: { arch: "mlp", hidden: [400], latent: 20 }, protocolVersion: 1 },
    }),
    welcome: message("welcome", { workerId: "w-1", proof: bytes32(4), config: { batchSize: 128, lr: 0.001, nested: { a: [1, 2, null] } }, runId: "20261125-120000-mnist" }),
    generation: message("generation", {
      g: 3,
      rank: 1,
      worldSize: 2,
      members: [
        { rank: 0, workerId: "w-0", host: "h0", peerHost: "10.0.0.1", peerPort: 7071 },
        { rank: 1, workerId: "w-1", host: "h1", peerHost: "10.0.0.2", peerPort: 7071 },
      ],
      nextStep: 100,
      stateSource: 0,
      algorithm: "ring",
      compress: "none",
    }),
    requestState: message("requestState", { g: 3 }),
    state: message("state", { g: 3, step: 99, epoch: 1, params: params(), adamM: params(), adamV: params(), adamT: 99 }),
    step: message("step", { g: 3, step: 100, epoch: 1, stepInEpoch: 10 }),
    stepDone: message("stepDone", {
      g: 3,
      step: 100,
      loss: { count: 64, total: 6400.5, reconstruction: 6000, kl: 400.5 },
      timings: { computeMs: 12.5, allreduceMs: 3.25, applyMs: 1 },
      digest: "9f2c",
    }),
    ready: message("ready", { g: 3, step: 100, digest: "9f2c" }),
    evaluate: message("evaluate", { g: 3, step: 469, epoch: 0, samples: true }),
    evaluation: message("evaluation", { g: 3, step: 469, epoch: 0, count: 5000, total: 600000.5, reconstruction: 500000, kl: 100000.5, samplesPng: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }),
    stepFailed: message("stepFailed", { g: 3, step: 100, reason: "peer rank 0 lost" }),
    reduce: message("reduce", { g: 3, step: 100, data: params() }),
    reduced: message("reduced", { g: 3, step: 100, data: encodeF16(params()) }),
    leave: message("leave", { reason: "SIGTERM" }),
    stop: message("stop", { reason: "training finished" }),
    error: message("error", { code: "VAE_ERR_AUTH", message: "wrong token" }),
    peerHello: message("peerHello", { g: 3, rank: 0, workerId: "w-0", clientNonce: bytes32(5), proof: bytes32(6) }),
    peerWelcome: message("peerWelcome", { proof: bytes32(7) }),
    chunk: message("chunk", { g: 3, step: 100, seq: 0, data: params() }),
  };
}
