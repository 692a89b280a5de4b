// Challenge–response with a shared token (--token / VAE_CLUSTER_TOKEN). The
// token never crosses the wire:
//   1. the accepting side sends `challenge { nonce: Ns }` (32 random bytes);
//   2. the dialing side answers with its own nonce Nc and
//      proof = HMAC-SHA256(token, label(dialer role) ‖ context ‖ Ns ‖ Nc);
//   3. the accepting side checks it (constant time) and answers with
//      HMAC-SHA256(token, label(acceptor role) ‖ context ‖ Ns ‖ Nc), which the
//      dialer checks: both sides have proved they hold the token.
// Distinct role labels stop a proof from being reflected back as the other
// side's, fresh nonces stop replays, and the context (worker id, generation,
// rank) binds a proof to what the dialer claims to be.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { NONCE_BYTES, PROOF_BYTES } from "./limits.ts";

export type ProofRole = "worker" | "coordinator" | "peer-client" | "peer-server";

export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

/** Throws unless `token` is usable as a shared secret. */
export function checkToken(token: string): void {
  if (typeof token !== "string" || token.length === 0) throw new TypeError("cluster token must be a non-empty string");
}

export function makeProof(token: string, role: ProofRole, context: string, serverNonce: Uint8Array, clientNonce: Uint8Array): Uint8Array {
  checkToken(token);
  const mac = createHmac("sha256", token);
  mac.update(`vae-cluster/1/${role}\0${context}\0`);
  mac.update(serverNonce);
  mac.update(clientNonce);
  return new Uint8Array(mac.digest());
}

/** Whether `proof` is the proof of `role` for these nonces under `token` (constant-time compare). */
export function verifyProof(
  token: string,
  role: ProofRole,
  context: string,
  serverNonce: Uint8Array,
  clientNonce: Uint8Array,
  proof: Uint8Array,
): boolean {
  if (proof.length !== PROOF_BYTES) return false;
  return timingSafeEqual(makeProof(token, role, context, serverNonce, clientNonce), proof);
}
