import { encodeF16 } from "@vae/allreduce";
import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec.ts";
import { ERROR_CLOSE_CODES, ProtocolError, type ErrorCode } from "./errors.ts";
import { MAX_CHUNK_ELEMENTS, MAX_MEMBERS } from "./limits.ts";
import { CHANNELS, type Channel, type MessageType } from "./messages.ts";
import type { ValidationContext } from "./schema.ts";
import { validMessages } from "./testing/fixtures.ts";
import { validateMessage } from "./validate.ts";

const channelOf = (type: MessageType): Channel =>
  (Object.keys(CHANNELS) as Channel[]).find((c) => (CHANNELS[c] as readonly string[]).includes(type))!;

function rejection(raw: unknown, channel: Channel, ctx: ValidationContext = {}): ProtocolError {
  try {
    validateMessage(decode(encode(raw as object)), channel, ctx);
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error("validation passed");
}

describe("validateMessage", () => {
  it("accepts every valid message after an encode/decode round trip, on its channel", () => {
    for (const [type, msg] of Object.entries(validMessages())) {
      const out = validateMessage(decode(encode(msg)), channelOf(type as MessageType));
      expect(out).toEqual(msg);
    }
  });

  const m = validMessages(4);
  const cases: [what: string, raw: unknown, channel: Channel, code: ErrorCode, text: RegExp, ctx?: ValidationContext][] = [
    ["an array instead of a map", [1, 2], "toWorker", "VAE_ERR_MALFORMED", /must be a msgpack map, found an array of 2/],
    ["another protocol version", { ...m.step, v: 2 }, "toWorker", "VAE_ERR_VERSION", /protocol version 2, expected 1/],
    ["no version", { type: "step" }, "toWorker", "VAE_ERR_VERSION", /protocol version nothing/],
    ["no type", { v: 1 }, "toWorker", "VAE_ERR_INVALID_FIELD", /type: expected a string, found nothing/],
    ["an unknown type", { v: 1, type: "launchMissiles" }, "toWorker", "VAE_ERR_UNKNOWN_TYPE", /unknown message type "launchMissiles"/],
    ["a message of the other direction", m.hello, "toWorker", "VAE_ERR_UNEXPECTED", /"hello" is not sent coordinator → worker/],
    ["a port out of range", { ...m.hello, peer: { host: "h", port: 70000 } }, "toCoordinator", "VAE_ERR_INVALID_FIELD", /hello\.peer\.port: expected an integer in \[1, 65535\], found 70000/],
    ["a short nonce", { ...m.hello, clientNonce: new Uint8Array(31) }, "toCoordinator", "VAE_ERR_INVALID_FIELD", /hello\.clientNonce: expected a Uint8Array of 32 bytes, found Uint8Array\(31\)/],
    ["an unknown field", { ...m.hello, admin: true }, "toCoordinator", "VAE_ERR_INVALID_FIELD", /hello\.admin: expected no such field, found true/],
    ["a missing field", { ...m.hello, pid: undefined }, "toCoordinator", "VAE_ERR_INVALID_FIELD", /hello\.pid: expected an integer .* found (nothing|null)/],
    ["a huge worker id", { ...m.hello, workerId: "x".repeat(5000) }, "toCoordinator", "VAE_ERR_TOO_BIG", /hello\.workerId: a string of 5000 characters exceeds the limit of 128/],
    ["a deep model object", { ...m.hello, expect: { protocolVersion: 1, model: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } } }, "toCoordinator", "VAE_ERR_TOO_BIG", /hello\.expect\.model\.a\.b\.c\.d\.e\.f\.g\.h: nesting of 9 levels exceeds the limit of 8/],
    ["a rank beyond the world", { ...m.generation, rank: 2 }, "toWorker", "VAE_ERR_INVALID_FIELD", /generation\.rank: expected a rank below worldSize 2, found 2/],
    ["members out of order", { ...m.generation, members: [...m.generation.members].reverse() }, "toWorker", "VAE_ERR_INVALID_FIELD", /generation\.members\[0\]\.rank: expected 0 \(members in rank order\), found 1/],
    ["too many members", { ...m.generation, members: new Array(MAX_MEMBERS + 1).fill(m.generation.members[0]) }, "toWorker", "VAE_ERR_TOO_BIG", /generation\.members: an array of 257 items exceeds the limit of 256/],
    ["an unknown algorithm", { ...m.generation, algorithm: "tree" }, "toWorker", "VAE_ERR_INVALID_FIELD", /generation\.algorithm: expected one of "ring", "star", found "tree"/],
    ["params of the wrong length", m.state, "toWorker", "VAE_ERR_INVALID_FIELD", /state\.params: expected a Float32Array of 10 elements, found Float32Array\(4\)/, { paramCount: 10 }],
    ["Adam moments shorter than params", { ...m.state, adamV: new Float32Array(3) }, "toWorker", "VAE_ERR_INVALID_FIELD", /state\.adamV: expected a Float32Array of 4 elements \(as params\), found Float32Array\(3\)/],
    ["params as a number list", { ...m.state, params: [0, 1, 2, 3] }, "toWorker", "VAE_ERR_INVALID_FIELD", /state\.params: expected a Float32Array, found an array of 4/],
    ["a NaN parameter", { ...m.state, params: new Float32Array([0, 1, 2, NaN]) }, "toWorker", "VAE_ERR_NOT_FINITE", /state\.params\[3\] is NaN/],
    ["an infinite gradient", { ...m.reduce, data: new Float32Array([0, -Infinity, 0, 0]) }, "toCoordinator", "VAE_ERR_NOT_FINITE", /reduce\.data\[1\] is -Infinity/],
    ["an infinite fp16 gradient", { ...m.reduce, data: encodeF16(new Float32Array([0, 0, Infinity, 0])) }, "toCoordinator", "VAE_ERR_NOT_FINITE", /reduce\.data\[2\] is a non-finite fp16 value/, { compress: "fp16" }],
    ["fp16 data when fp32 is expected", { ...m.reduce, data: new Uint16Array(4) }, "toCoordinator", "VAE_ERR_INVALID_FIELD", /reduce\.data: expected a Float32Array, found Uint16Array\(4\)/, { compress: "none" }],
    ["a gradient of the wrong length", m.reduce, "toCoordinator", "VAE_ERR_INVALID_FIELD", /reduce\.data: expected a Float32Array of 5 elements, found Float32Array\(4\)/, { gradientLength: 5 }],
    ["a chunk above the chunk limit", { ...m.chunk, data: new Float32Array(MAX_CHUNK_ELEMENTS + 1) }, "toPeerServer", "VAE_ERR_TOO_BIG", /chunk\.data: Float32Array of 4194305 elements exceeds the limit of 4194304/],
    ["a negative step", { ...m.chunk, step: -1 }, "toPeerServer", "VAE_ERR_INVALID_FIELD", /chunk\.step: expected an integer in \[0, \d+\], found -1/],
    ["an infinite loss", { ...m.stepDone, loss: { ...m.stepDone.loss, total: Infinity } }, "toCoordinator", "VAE_ERR_INVALID_FIELD", /stepDone\.loss\.total: expected a finite number, found Infinity/],
    ["a negative timing", { ...m.stepDone, timings: { ...m.stepDone.timings, applyMs: -1 } }, "toCoordinator", "VAE_ERR_INVALID_FIELD", /stepDone\.timings\.applyMs: expected a finite number >= 0, found -1/],
    ["a config with a typed array", { ...m.welcome, config: { x: new Float32Array(2) } }, "toWorker", "VAE_ERR_INVALID_FIELD", /welcome\.config\.x: expected JSON-like data/],
  ];

  for (const [what, raw, channel, code, text, ctx] of cases) {
    it(`rejects ${what} with ${code}`, () => {
      const err = rejection(raw, channel, ctx);
      expect(err.code).toBe(code);
      expect(err.closeCode).toBe(ERROR_CLOSE_CODES[code]);
      expect(err.message).toMatch(text);
    });
  }
});
