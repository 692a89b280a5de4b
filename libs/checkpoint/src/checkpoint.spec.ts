import { mkdtemp, readFile, readdir, readlink, rm, truncate, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CheckpointError } from "./errors.ts";
import { MODEL_FORMAT, sha256, stateJsonBody, type StateJson } from "./format.ts";
import { bitsOf, layout, sampleData } from "./fixtures.ts";
import { readCheckpoint } from "./read.ts";
import { writeCheckpoint } from "./write.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "vae-ckpt-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function expectError(path: string, file: string, reason: RegExp): Promise<void> {
  const err = await readCheckpoint(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CheckpointError);
  expect((err as CheckpointError).file).toBe(file);
  expect((err as CheckpointError).reason).toMatch(reason);
  expect((err as CheckpointError).message.startsWith(`${file}: `)).toBe(true);
}

describe("writeCheckpoint / readCheckpoint", () => {
  it("round-trips every bit and field", async () => {
    const data = sampleData();
    const path = await writeCheckpoint(root, data);
    expect(path).toBe(join(root, "step-00000042"));
    expect(await readlink(join(root, "latest"))).toBe("step-00000042");
    expect((await readdir(root)).sort()).toEqual(["latest", "step-00000042"]);
    expect((await readdir(path)).sort()).toEqual(["model.json", "optimizer.bin", "state.json", "weights.bin"]);

    for (const where of [path, join(root, "latest"), root]) {
      const back = await readCheckpoint(where);
      expect(bitsOf(back.params)).toEqual(bitsOf(data.params));
      expect(bitsOf(back.optimizer.m)).toEqual(bitsOf(data.optimizer.m));
      expect(bitsOf(back.optimizer.v)).toEqual(bitsOf(data.optimizer.v));
      const { params: _p, optimizer: { m: _m, v: _v, ...opt }, createdAt, ...rest } = back;
      const { params: _p2, optimizer: { m: _m2, v: _v2, ...opt2 }, ...rest2 } = data;
      expect(opt).toEqual(opt2);
      expect(rest).toEqual(rest2);
      expect(Date.now() - Date.parse(createdAt!)).toBeLessThan(60_000);
    }
  });

  it("writes a tfjs weights manifest whose offsets recover each tensor", async () => {
    const data = sampleData();
    const path = await writeCheckpoint(root, data);
    const model = JSON.parse(await readFile(join(path, "model.json"), "utf8"));
    expect(model.format).toBe(MODEL_FORMAT);
    expect(model.generatedBy).toBe("vae-cluster");
    expect(model.modelTopology).toBeUndefined();
    expect(model.weightsManifest).toHaveLength(1);
    expect(model.weightsManifest[0].paths).toEqual(["weights.bin"]);
    expect(model.weightsManifest[0].weights).toEqual(layout.map((t) => ({ ...t, dtype: "float32" })));
    // Decode as tf.io.decodeWeights does: tensors back to back, float32 little-endian.
    const bin = await readFile(join(path, "weights.bin"));
    const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
    let offset = 0;
    for (const w of model.weightsManifest[0].weights) {
      const size = w.shape.reduce((a: number, b: number) => a * b, 1);
      for (let i = 0; i < size; i++) {
        expect(view.getUint32((offset + i) * 4, true)).toBe(new Uint32Array(data.params.buffer)[offset + i]);
      }
      offset += size;
    }
    expect(offset * 4).toBe(bin.length);
  });

  it("rejects inconsistent data before writing anything", async () => {
    const data = sampleData();
    await expect(writeCheckpoint(root, { ...data, params: data.params.subarray(1) })).rejects.toThrow(/params has 38 floats, layout needs 39/);
    await expect(writeCheckpoint(root, { ...data, optimizer: { ...data.optimizer, v: new Float32Array(3) } })).rejects.toThrow(/optimizer.v must be a Float32Array of 39 floats, got 3/);
    await expect(writeCheckpoint(root, { ...data, step: -1 })).rejects.toThrow(/step must be a non-negative integer, got -1/);
    await expect(writeCheckpoint(root, { ...data, layout: [...layout.slice(0, 3), { name: "empty", shape: [3, 5] }] })).rejects.toThrow(/"empty" is used twice/);
    expect(await readdir(root)).toEqual([]);
  });

  it("replaces a checkpoint of the same step", async () => {
    await writeCheckpoint(root, sampleData(5, 0));
    await writeCheckpoint(root, sampleData(5, 1));
    expect((await readdir(root)).sort()).toEqual(["latest", "step-00000005"]);
    expect(bitsOf((await readCheckpoint(root)).params)).toEqual(bitsOf(sampleData(5, 1).params));
  });
});

describe("readCheckpoint detects damage", () => {
  let path: string;
  beforeEach(async () => {
    path = await writeCheckpoint(root, sampleData());
  });

  it("truncated binary files, by size", async () => {
    await truncate(join(path, "weights.bin"), 100);
    await expectError(path, "weights.bin", /^100 bytes, layout needs 156 bytes$/);
    await writeCheckpoint(root, sampleData(43));
    await truncate(join(root, "step-00000043", "optimizer.bin"), 300);
    await expectError(join(root, "latest"), "optimizer.bin", /^300 bytes, layout needs 312 bytes \(Adam m and v\)$/);
  });

  it("a flipped byte in weights.bin, optimizer.bin or model.json, by checksum", async () => {
    for (const file of ["weights.bin", "optimizer.bin", "model.json"]) {
      const original = await readFile(join(path, file));
      for (const at of [0, Math.floor(original.length / 2), original.length - 1]) {
        const bad = Buffer.from(original);
        bad[at]! ^= file === "model.json" ? 0x01 : 0x80;
        await writeFile(join(path, file), bad);
        await expectError(path, file, /^checksum mismatch \(expected [0-9a-f]{12}\.\., found [0-9a-f]{12}\.\.\)$/);
      }
      await writeFile(join(path, file), original);
      await expect(readCheckpoint(path)).resolves.toBeDefined();
    }
  });

  it("any single flipped bit anywhere in state.json", async () => {
    const original = await readFile(join(path, "state.json"));
    for (let at = 0; at < original.length; at++) {
      const bad = Buffer.from(original);
      bad[at]! ^= 1 << (at % 7);
      await writeFile(join(path, "state.json"), bad);
      await expectError(path, "state.json", /not valid JSON|checksum (mismatch|missing)|formatVersion/);
    }
  });

  it("a truncated or missing state.json, and a missing file", async () => {
    await truncate(join(path, "state.json"), 50);
    await expectError(path, "state.json", /^not valid JSON/);
    await unlink(join(path, "state.json"));
    await expectError(path, "state.json", /^missing$/);
    await expectError(join(root, "step-00000099"), "state.json", /^missing \(the checkpoint directory does not exist\)$/);
    const other = await writeCheckpoint(root, sampleData(50));
    await unlink(join(other, "optimizer.bin"));
    await expectError(other, "optimizer.bin", /^missing$/);
  });

  it("a newer formatVersion and a manifest that disagrees with the files, even with valid checksums", async () => {
    const statePath = join(path, "state.json");
    const state = JSON.parse(await readFile(statePath, "utf8")) as StateJson;
    const reseal = async (s: StateJson) => {
      s.checksum = `sha256:${sha256(stateJsonBody(s))}`;
      await writeFile(statePath, JSON.stringify(s));
    };
    await reseal({ ...state, formatVersion: 2 });
    await expectError(path, "state.json", /^formatVersion 2 is not supported \(expected 1\)$/);

    const model = JSON.parse(await readFile(join(path, "model.json"), "utf8"));
    model.weightsManifest[0].weights[0].shape = [7, 4];
    const modelText = JSON.stringify(model);
    await writeFile(join(path, "model.json"), modelText);
    await reseal({ ...state, files: { ...state.files, "model.json": sha256(modelText) } });
    await expectError(path, "weights.bin", /^156 bytes, layout needs 184 bytes$/);

    model.weightsManifest[0].weights[0].dtype = "int32";
    const modelText2 = JSON.stringify(model);
    await writeFile(join(path, "model.json"), modelText2);
    await reseal({ ...state, files: { ...state.files, "model.json": sha256(modelText2) } });
    await expectError(path, "model.json", /weights\[0\]\.dtype is "int32", only "float32" is supported/);
  });
});
