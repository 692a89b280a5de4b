// The opening of a control connection (/cluster), both sides:
//   C→W challenge {nonce}
//   W→C hello {…, clientNonce, proof = HMAC(token, "worker", workerId, nonces)}
//   C checks the proof (VAE_ERR_AUTH), the protocol version (VAE_ERR_VERSION)
//     and the worker's expectations against its config (VAE_ERR_CONFIG_MISMATCH)
//   C→W welcome {workerId, proof = HMAC(token, "coordinator", workerId, nonces), config}
//   W checks the coordinator's proof (VAE_ERR_AUTH).
// Every failure sends `error {code, message}` and closes the socket.
import { isDeepStrictEqual } from "node:util";
import { makeProof, newNonce, verifyProof } from "./auth.ts";
import type { Connection } from "./connection.ts";
import { protocolError, remoteProtocolError, type ProtocolError } from "./errors.ts";
import { HANDSHAKE_TIMEOUT_MS, PROTOCOL_VERSION } from "./limits.ts";
import { message, type Hello, type Welcome } from "./messages.ts";

/** A worker whose hello passed authentication; `serverNonce` is needed for the welcome. */
export interface AcceptedHello {
  hello: Hello;
  serverNonce: Uint8Array;
}

/**
 * Coordinator side: sends the challenge and waits for an authentic `hello`.
 * On any failure the connection is failed (error reply + close) and the
 * ProtocolError (or ConnectionClosedError) is thrown.
 */
export async function acceptHello(
  conn: Connection<"toCoordinator">,
  token: string,
  timeoutMs = HANDSHAKE_TIMEOUT_MS,
): Promise<AcceptedHello> {
  const serverNonce = newNonce();
  await conn.send(message("challenge", { nonce: serverNonce }));
  const m = await conn.receive(timeoutMs);
  const fail = (err: ProtocolError) => {
    conn.fail(err);
    return err;
  };
  if (m.type !== "hello") throw fail(protocolError("VAE_ERR_UNEXPECTED", `expected "hello" after the challenge, got "${m.type}"`));
  if (!verifyProof(token, "worker", m.workerId, serverNonce, m.clientNonce, m.proof)) {
    throw fail(protocolError("VAE_ERR_AUTH", `hello.proof of worker "${m.workerId}" does not match: wrong cluster token`));
  }
  if (m.expect.protocolVersion !== PROTOCOL_VERSION) {
    throw fail(
      protocolError("VAE_ERR_VERSION", `hello.expect.protocolVersion: worker speaks ${m.expect.protocolVersion}, coordinator ${PROTOCOL_VERSION}`),
    );
  }
  return { hello: m, serverNonce };
}

/** The settings a worker may have been given explicitly, as the cluster runs them. */
export interface ClusterSettings {
  dataset: string;
  seed: number;
  model: Record<string, unknown>;
}

/**
 * The first setting in `expect` that differs from the cluster's, as a
 * VAE_ERR_CONFIG_MISMATCH naming the field and both values; null when they agree.
 */
export function configMismatch(expect: Hello["expect"], cluster: ClusterSettings): ProtocolError | null {
  for (const field of ["dataset", "seed", "model"] as const) {
    const wanted = expect[field];
    if (wanted === undefined || isDeepStrictEqual(wanted, cluster[field])) continue;
    return protocolError(
      "VAE_ERR_CONFIG_MISMATCH",
      `expect.${field}: the worker was started with ${JSON.stringify(wanted)}, the cluster runs ${JSON.stringify(cluster[field])}`,
    );
  }
  return null;
}

/** Coordinator side: the welcome that proves the coordinator holds the token too. */
export function welcomeFor(token: string, accepted: AcceptedHello, config: Record<string, unknown>, runId: string): Welcome {
  const { hello, serverNonce } = accepted;
  return message("welcome", {
    workerId: hello.workerId,
    proof: makeProof(token, "coordinator", hello.workerId, serverNonce, hello.clientNonce),
    config,
    runId,
  });
}

/** What a worker says about itself in `hello` (nonce and proof are added by joinCluster). */
export type HelloFields = Omit<Hello, "v" | "type" | "clientNonce" | "proof">;

/**
 * Worker side: answers the challenge with `hello` and waits for an authentic
 * `welcome`. Throws the coordinator's own error (e.g. VAE_ERR_AUTH,
 * VAE_ERR_CONFIG_MISMATCH; `remote` is true) when it refuses the worker.
 */
export async function joinCluster(
  conn: Connection<"toWorker">,
  token: string,
  hello: HelloFields,
  timeoutMs = HANDSHAKE_TIMEOUT_MS,
): Promise<Welcome> {
  const fail = (err: ProtocolError) => {
    conn.fail(err);
    return err;
  };
  const challenge = await conn.receive(timeoutMs);
  if (challenge.type === "error") throw remoteProtocolError(challenge.code, challenge.message);
  if (challenge.type !== "challenge") throw fail(protocolError("VAE_ERR_UNEXPECTED", `expected "challenge" first, got "${challenge.type}"`));
  const clientNonce = newNonce();
  const proof = makeProof(token, "worker", hello.workerId, challenge.nonce, clientNonce);
  await conn.send(message("hello", { ...hello, clientNonce, proof }));
  const reply = await conn.receive(timeoutMs);
  if (reply.type === "error") throw remoteProtocolError(reply.code, reply.message);
  if (reply.type !== "welcome") throw fail(protocolError("VAE_ERR_UNEXPECTED", `expected "welcome" after hello, got "${reply.type}"`));
  if (!verifyProof(token, "coordinator", hello.workerId, challenge.nonce, clientNonce, reply.proof)) {
    throw fail(protocolError("VAE_ERR_AUTH", "welcome.proof does not match: the coordinator does not hold this cluster token"));
  }
  return reply;
}
