// Every message of the protocol as a schema; the TypeScript types are inferred
// from the schemas, so the two cannot drift. README.md documents each message.
// Every message is a msgpack map `{ v: PROTOCOL_VERSION, type, g?, ... }`.
import { COMPRESSIONS } from "@vae/allreduce";
import {
  MAX_CHUNK_ELEMENTS,
  MAX_HOST_LENGTH,
  MAX_ID_LENGTH,
  MAX_LABEL_LENGTH,
  MAX_MEMBERS,
  MAX_OBJECT_DEPTH,
  MAX_OBJECT_ENTRIES,
  MAX_PARAMETERS,
  MAX_PNG_BYTES,
  MAX_REASON_LENGTH,
  NONCE_BYTES,
  PROOF_BYTES,
  PROTOCOL_VERSION,
} from "./limits.ts";
import {
  array,
  blob,
  boolean,
  bytes,
  finite,
  float32Array,
  integer,
  invalid,
  nullable,
  object,
  oneOf,
  optional,
  plainData,
  refine,
  string,
  uint,
  wireArray,
  type Check,
} from "./schema.ts";

const workerId = string(MAX_ID_LENGTH, 1);
const host = string(MAX_HOST_LENGTH, 1);
const port = integer(1, 65535);
const rank = integer(0, MAX_MEMBERS - 1);
const reason = string(MAX_REASON_LENGTH);
const nonce = bytes(NONCE_BYTES);
const proof = bytes(PROOF_BYTES);
const label = string(MAX_LABEL_LENGTH);
const freeForm = plainData(MAX_OBJECT_ENTRIES, MAX_OBJECT_DEPTH, MAX_REASON_LENGTH);
const params = float32Array((ctx) => ctx.paramCount, MAX_PARAMETERS);
const gradient = wireArray((ctx) => ctx.gradientLength, MAX_PARAMETERS);

type Fields = Record<string, Check<unknown>>;
function def<const T extends string, S extends Fields>(type: T, fields: S) {
  return object({ v: oneOf([PROTOCOL_VERSION] as const), type: oneOf([type] as const), ...fields });
}

const member = object({ rank, workerId, host, peerHost: host, peerPort: port });

const stateFields = { g: uint, step: uint, epoch: uint, params, adamM: params, adamV: params, adamT: uint };

export const SCHEMAS = {
  // control channel, coordinator → worker
  challenge: def("challenge", { nonce }),
  welcome: def("welcome", { workerId, proof, config: freeForm, runId: workerId }),
  generation: refine(
    def("generation", {
      g: uint,
      rank,
      worldSize: integer(1, MAX_MEMBERS),
      members: array(member, MAX_MEMBERS),
      nextStep: uint,
      stateSource: nullable(rank),
      algorithm: oneOf(["ring", "star"] as const),
      compress: oneOf(COMPRESSIONS),
    }),
    (m, path) => {
      if (m.rank >= m.worldSize) throw invalid(`${path}.rank`, `a rank below worldSize ${m.worldSize}`, m.rank);
      if (m.members.length !== m.worldSize) throw invalid(`${path}.members`, `${m.worldSize} members (worldSize)`, m.members);
      m.members.forEach((x, i) => {
        if (x.rank !== i) throw invalid(`${path}.members[${i}].rank`, `${i} (members in rank order)`, x.rank);
      });
      const ids = new Set(m.members.map((x) => x.workerId));
      if (ids.size !== m.members.length) throw invalid(`${path}.members`, "distinct workerIds", m.members);
      if (m.stateSource !== null && m.stateSource >= m.worldSize) {
        throw invalid(`${path}.stateSource`, `null or a rank below worldSize ${m.worldSize}`, m.stateSource);
      }
    },
  ),
  requestState: def("requestState", { g: uint }),
  step: def("step", { g: uint, step: uint, epoch: uint, stepInEpoch: uint, wantDigest: optional(boolean) }),
  evaluate: def("evaluate", { g: uint, step: uint, epoch: uint, samples: boolean }),
  reduced: def("reduced", { g: uint, step: uint, data: gradient }),
  stop: def("stop", { reason }),

  // control channel, worker → coordinator
  hello: def("hello", {
    workerId,
    host,
    pid: uint,
    backend: label,
    peer: object({ host, port }),
    metricsPort: nullable(port),
    clientNonce: nonce,
    proof,
    expect: object({
      dataset: optional(label),
      seed: optional(uint),
      model: optional(freeForm),
      protocolVersion: integer(1, 1_000_000),
    }),
  }),
  stepDone: def("stepDone", {
    g: uint,
    step: uint,
    loss: object({ count: uint, total: finite(), reconstruction: finite(), kl: finite() }),
    timings: object({ computeMs: finite(0), allreduceMs: finite(0), applyMs: finite(0) }),
    digest: optional(label),
  }),
  stepFailed: def("stepFailed", { g: uint, step: uint, reason, unreachable: optional(rank) }),
  ready: def("ready", { g: uint, step: uint, digest: label }),
  evaluation: def("evaluation", {
    g: uint,
    step: uint,
    epoch: uint,
    count: uint,
    total: finite(),
    reconstruction: finite(),
    kl: finite(),
    samplesPng: optional(blob(MAX_PNG_BYTES)),
    reconstructionsPng: optional(blob(MAX_PNG_BYTES)),
  }),
  reduce: def("reduce", { g: uint, step: uint, data: gradient }),
  leave: def("leave", { reason }),

  // control channel, both directions
  state: refine(def("state", stateFields), (m, path, ctx) => {
    if (ctx.paramCount !== undefined) return; // lengths already checked against it
    for (const f of ["adamM", "adamV"] as const) {
      if (m[f].length !== m.params.length) throw invalid(`${path}.${f}`, `a Float32Array of ${m.params.length} elements (as params)`, m[f]);
    }
  }),
  error: def("error", { code: string(MAX_LABEL_LENGTH, 1), message: reason }),

  // data channel (/peer)
  peerHello: def("peerHello", { g: uint, rank, workerId, clientNonce: nonce, proof }),
  peerWelcome: def("peerWelcome", { proof }),
  chunk: def("chunk", { g: uint, step: uint, seq: uint, data: wireArray(() => undefined, MAX_CHUNK_ELEMENTS) }),
};

export type MessageType = keyof typeof SCHEMAS;
export type MessageOf<T extends MessageType> = (typeof SCHEMAS)[T] extends Check<infer M> ? M : never;
export type Message = { [T in MessageType]: MessageOf<T> }[MessageType];

export type Challenge = MessageOf<"challenge">;
export type Hello = MessageOf<"hello">;
export type Welcome = MessageOf<"welcome">;
export type Generation = MessageOf<"generation">;
export type GenerationMember = Generation["members"][number];
export type RequestState = MessageOf<"requestState">;
export type State = MessageOf<"state">;
export type Step = MessageOf<"step">;
export type StepDone = MessageOf<"stepDone">;
export type StepFailed = MessageOf<"stepFailed">;
export type Ready = MessageOf<"ready">;
export type Evaluate = MessageOf<"evaluate">;
export type Evaluation = MessageOf<"evaluation">;
export type Reduce = MessageOf<"reduce">;
export type Reduced = MessageOf<"reduced">;
export type Leave = MessageOf<"leave">;
export type Stop = MessageOf<"stop">;
export type ErrorMessage = MessageOf<"error">;
export type PeerHello = MessageOf<"peerHello">;
export type PeerWelcome = MessageOf<"peerWelcome">;
export type Chunk = MessageOf<"chunk">;

/** Which messages each end of each channel accepts. */
export const CHANNELS = {
  /** Received by a worker on /cluster. */
  toWorker: ["challenge", "welcome", "generation", "requestState", "state", "step", "evaluate", "reduced", "stop", "error"],
  /** Received by the coordinator on /cluster. */
  toCoordinator: ["hello", "ready", "state", "stepDone", "stepFailed", "evaluation", "reduce", "leave", "error"],
  /** Received by a worker's peer server on /peer (from its ring predecessor). */
  toPeerServer: ["peerHello", "chunk", "error"],
  /** Received by the dialing side of /peer (from its ring successor). */
  toPeerClient: ["challenge", "peerWelcome", "error"],
} as const satisfies Record<string, readonly MessageType[]>;

export type Channel = keyof typeof CHANNELS;
export type ChannelMessage<C extends Channel> = MessageOf<(typeof CHANNELS)[C][number]>;

/** Builds a message of `type`, adding `v` and `type`. */
export function message<T extends MessageType>(type: T, body: Omit<MessageOf<T>, "v" | "type">): MessageOf<T> {
  return { v: PROTOCOL_VERSION, type, ...body } as MessageOf<T>;
}
