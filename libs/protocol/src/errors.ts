// Every rejection on the wire is a ProtocolError with a stable string code and
// the WebSocket close code that goes with it (cf. ws's WS_ERR_* codes). The
// table below is the only place a code meets its close status; README.md lists
// them for users and dashboards (`vae_rejected_messages_total{reason=<code>}`).

/** WebSocket close codes used by this protocol (RFC 6455 §7.4.1). */
export type CloseCode = 1002 | 1003 | 1008 | 1009 | 1011;

export const ERROR_CLOSE_CODES = {
  /** Not a binary frame, not msgpack, or not a msgpack map. */
  VAE_ERR_MALFORMED: 1003,
  /** `v` is not this protocol's version. */
  VAE_ERR_VERSION: 1002,
  /** `type` names no message of this protocol. */
  VAE_ERR_UNKNOWN_TYPE: 1003,
  /** A field is missing, has the wrong type or shape, or is out of range; the message names it. */
  VAE_ERR_INVALID_FIELD: 1002,
  /** A frame, array or string exceeds its limit (see limits.ts). */
  VAE_ERR_TOO_BIG: 1009,
  /** NaN or ±Infinity in a float array; the message names the field and the first bad index. */
  VAE_ERR_NOT_FINITE: 1002,
  /** Wrong token or bad proof in the challenge–response. */
  VAE_ERR_AUTH: 1008,
  /** The worker was started with settings that differ from the cluster's; names the field and both values. */
  VAE_ERR_CONFIG_MISMATCH: 1008,
  /** The message belongs to a generation that has ended. */
  VAE_ERR_STALE_GENERATION: 1008,
  /** A valid message that is not allowed in this direction or state. */
  VAE_ERR_UNEXPECTED: 1002,
  /** A handshake or reply did not arrive in time. */
  VAE_ERR_TIMEOUT: 1008,
  /** The receiving side failed while handling a valid message. */
  VAE_ERR_INTERNAL: 1011,
} as const satisfies Record<string, CloseCode>;

export type ErrorCode = keyof typeof ERROR_CLOSE_CODES;
export const ERROR_CODES = Object.keys(ERROR_CLOSE_CODES) as ErrorCode[];

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === "string" && Object.hasOwn(ERROR_CLOSE_CODES, x);
}

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  /** The close code that goes with `code`. */
  readonly closeCode: CloseCode;

  /** Prefer `protocolError()`; the close code always follows from the code. */
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** True when the other side sent this error to us in an `error` message. */
    readonly remote = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.closeCode = ERROR_CLOSE_CODES[code];
  }
}

/** The one factory for rejections. */
export function protocolError(code: ErrorCode, message: string, options?: { cause?: unknown }): ProtocolError {
  return new ProtocolError(code, message, false, options);
}

/** The error an `error {code, message}` message from the other side stands for. */
export function remoteProtocolError(code: string, message: string): ProtocolError {
  return new ProtocolError(isErrorCode(code) ? code : "VAE_ERR_INTERNAL", `remote: ${code}: ${message}`, true);
}
