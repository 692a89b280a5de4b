export { checkToken, makeProof, newNonce, verifyProof, type ProofRole } from "./auth.ts";
export { decode, encode } from "./codec.ts";
export { Connection, ConnectionClosedError, connect, type CloseInfo, type ConnectionOptions } from "./connection.ts";
export {
  acceptHello,
  configMismatch,
  joinCluster,
  welcomeFor,
  type AcceptedHello,
  type ClusterSettings,
  type HelloFields,
} from "./control-handshake.ts";
export {
  ERROR_CLOSE_CODES,
  ERROR_CODES,
  ProtocolError,
  isErrorCode,
  protocolError,
  remoteProtocolError,
  type CloseCode,
  type ErrorCode,
} from "./errors.ts";
export * from "./limits.ts";
export {
  CHANNELS,
  SCHEMAS,
  message,
  type Challenge,
  type Channel,
  type ChannelMessage,
  type Chunk,
  type ErrorMessage,
  type Generation,
  type GenerationMember,
  type Hello,
  type Leave,
  type Message,
  type MessageOf,
  type MessageType,
  type PeerHello,
  type PeerWelcome,
  type Reduce,
  type Reduced,
  type RequestState,
  type State,
  type Step,
  type StepDone,
  type StepFailed,
  type Stop,
  type Welcome,
} from "./messages.ts";
export { PeerServer, peerProofContext, type PeerServerOptions } from "./peer-server.ts";
export { describe as describeValue, firstNonFinite, type Check, type Infer, type ValidationContext } from "./schema.ts";
export {
  MAX_PAYLOAD,
  SOCKET_PATHS,
  bufferutilStatus,
  createWsServer,
  wsClientOptions,
  wsServerOptions,
  wsServerPort,
  type SocketKind,
} from "./sockets.ts";
export { StarChannel } from "./star-channel.ts";
export { validateMessage } from "./validate.ts";
export { ABORT_CLOSE_CODE, WsRingLink, openRingLink, type RingLinkOptions, type RingLinkStats, type RingMember } from "./ws-peer-link.ts";
