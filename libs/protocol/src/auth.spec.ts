import { describe, expect, it } from "vitest";
import { makeProof, newNonce, verifyProof } from "./auth.ts";

describe("challenge–response", () => {
  const ns = newNonce();
  const nc = newNonce();
  const proof = makeProof("s3cret", "worker", "w-1", ns, nc);

  it("accepts the proof made with the same token, role, context and nonces", () => {
    expect(proof.length).toBe(32);
    expect(verifyProof("s3cret", "worker", "w-1", ns, nc, proof)).toBe(true);
  });

  it("rejects a wrong token, a reflected role, another context or other nonces", () => {
    expect(verifyProof("s3cret!", "worker", "w-1", ns, nc, proof)).toBe(false);
    expect(verifyProof("s3cret", "coordinator", "w-1", ns, nc, proof)).toBe(false);
    expect(verifyProof("s3cret", "worker", "w-2", ns, nc, proof)).toBe(false);
    expect(verifyProof("s3cret", "worker", "w-1", nc, ns, proof)).toBe(false);
    expect(verifyProof("s3cret", "worker", "w-1", ns, newNonce(), proof)).toBe(false);
    expect(verifyProof("s3cret", "worker", "w-1", ns, nc, proof.subarray(0, 31))).toBe(false);
  });

  it("draws fresh nonces and refuses an empty token", () => {
    expect(Buffer.from(newNonce()).equals(Buffer.from(newNonce()))).toBe(false);
    expect(() => makeProof("", "worker", "w", ns, nc)).toThrow(/non-empty/);
  });
});
