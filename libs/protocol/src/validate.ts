// The entry point for every incoming message: decoded bytes in, a typed
// message out, or a ProtocolError naming what was wrong. Order of checks: a map
// (MALFORMED) → version (VERSION) → a known type (UNKNOWN_TYPE) → allowed on
// this channel (UNEXPECTED) → every field (INVALID_FIELD, TOO_BIG, NOT_FINITE).
import { protocolError } from "./errors.ts";
import { PROTOCOL_VERSION } from "./limits.ts";
import { CHANNELS, SCHEMAS, type Channel, type ChannelMessage, type MessageType } from "./messages.ts";
import { describe, invalid, isPlainObject, type ValidationContext } from "./schema.ts";

const CHANNEL_NAMES: Record<Channel, string> = {
  toWorker: "coordinator → worker",
  toCoordinator: "worker → coordinator",
  toPeerServer: "peer client → peer server",
  toPeerClient: "peer server → peer client",
};

export function validateMessage<C extends Channel>(raw: unknown, channel: C, ctx: ValidationContext = {}): ChannelMessage<C> {
  if (!isPlainObject(raw)) throw protocolError("VAE_ERR_MALFORMED", `a message must be a msgpack map, found ${describe(raw)}`);
  if (raw.v !== PROTOCOL_VERSION) {
    throw protocolError("VAE_ERR_VERSION", `protocol version ${describe(raw.v)}, expected ${PROTOCOL_VERSION}`);
  }
  const type = raw.type;
  if (typeof type !== "string") throw invalid("type", "a string", type);
  if (!Object.hasOwn(SCHEMAS, type)) throw protocolError("VAE_ERR_UNKNOWN_TYPE", `unknown message type ${describe(type)}`);
  if (!(CHANNELS[channel] as readonly string[]).includes(type)) {
    throw protocolError("VAE_ERR_UNEXPECTED", `"${type}" is not sent ${CHANNEL_NAMES[channel]}`);
  }
  return SCHEMAS[type as MessageType](raw, type, ctx) as ChannelMessage<C>;
}
