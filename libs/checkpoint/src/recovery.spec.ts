import { cp, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, truncate, writeFile, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findLatestValid } from "./find-latest.ts";
import { bitsOf, sampleData } from "./fixtures.ts";
import { pruneCheckpoints } from "./prune.ts";
import { readCheckpoint } from "./read.ts";
import { writeCheckpoint } from "./write.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "vae-ckpt-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeSteps(...steps: number[]): Promise<void> {
  for (const s of steps) await writeCheckpoint(root, sampleData(s, s));
}

const listing = async () => (await readdir(root)).sort();

/** What a kill -9 during step a) of the protocol leaves: a tmp dir with some files, one of them torn. */
async function leaveTornTmp(step: number): Promise<string> {
  const tmp = join(root, `tmp-step-${String(step).padStart(8, "0")}-999-deadbeef`);
  await writeCheckpoint(join(root, "scratch"), sampleData(step, step));
  await cp(join(root, "scratch", `step-${String(step).padStart(8, "0")}`), tmp, { recursive: true });
  await rm(join(root, "scratch"), { recursive: true });
  await rm(join(tmp, "state.json"));
  await truncate(join(tmp, "optimizer.bin"), 17);
  return tmp;
}

describe("a write interrupted by a crash", () => {
  it("leaves a tmp dir that never becomes latest and is pruned", async () => {
    await writeSteps(1);
    await leaveTornTmp(2);
    await symlink("step-00000002", join(root, "latest.tmp-999-deadbeef")); // a torn step d)
    expect((await readCheckpoint(root)).step).toBe(1);
    expect((await findLatestValid(root))!.data.step).toBe(1);

    await writeSteps(2); // the restarted writer redoes step 2 beside the debris
    expect(await readlink(join(root, "latest"))).toBe("step-00000002");
    expect((await readCheckpoint(root)).step).toBe(2);
    await pruneCheckpoints(root, 5);
    expect(await listing()).toEqual(["latest", "step-00000001", "step-00000002"]);
  });

  it("between the rename and the move of latest, latest still names the previous checkpoint", async () => {
    await writeSteps(1, 2);
    await writeFile(join(root, "latest.tmp-x"), ""); // (not a link: prune must still remove it)
    await rm(join(root, "latest"));
    await symlink("step-00000001", join(root, "latest"));
    const found = await findLatestValid(root);
    expect(found!.path).toBe(join(root, "step-00000001"));
    await pruneCheckpoints(root, 1);
    // step-2 is the newest, step-1 is latest's target: both stay.
    expect(await listing()).toEqual(["latest", "step-00000001", "step-00000002"]);
  });
});

describe("findLatestValid", () => {
  it("falls back past corrupt checkpoints, newest first, logging each", async () => {
    await writeSteps(1, 2, 3);
    const bin = join(root, "step-00000003", "weights.bin");
    const bytes = await readFile(bin);
    bytes[10]! ^= 0xff;
    await writeFile(bin, bytes);
    await writeFile(join(root, "step-00000002", "state.json"), "{ not json");
    const log: string[] = [];
    const found = await findLatestValid(root, (s) => log.push(s));
    expect(found!.path).toBe(join(root, "step-00000001"));
    expect(found!.data.step).toBe(1);
    expect(bitsOf(found!.data.params)).toEqual(bitsOf(sampleData(1, 1).params));
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/latest -> step-00000003: weights\.bin: checksum mismatch/);
    expect(log[1]).toMatch(/step-00000002: state\.json: not valid JSON/);
  });

  it("survives a dangling latest and reports nothing usable as null", async () => {
    await writeSteps(4, 5);
    await rename(join(root, "step-00000005"), join(root, "moved-away"));
    const log: string[] = [];
    expect((await findLatestValid(root, (s) => log.push(s)))!.data.step).toBe(4);
    expect(log[0]).toMatch(/latest -> step-00000005: state\.json: missing \(the checkpoint directory does not exist\)/);

    await truncate(join(root, "step-00000004", "weights.bin"), 0);
    expect(await findLatestValid(root)).toBeNull();
    expect(await findLatestValid(join(root, "does-not-exist"))).toBeNull();
    await mkdir(join(root, "empty"));
    expect(await findLatestValid(join(root, "empty"))).toBeNull();
  });
});

describe("pruneCheckpoints", () => {
  it("keeps the newest N", async () => {
    await writeSteps(1, 2, 3, 4, 5);
    await pruneCheckpoints(root, 2);
    expect(await listing()).toEqual(["latest", "step-00000004", "step-00000005"]);
    expect((await readCheckpoint(root)).step).toBe(5);
    await pruneCheckpoints(root, 1);
    expect(await listing()).toEqual(["latest", "step-00000005"]);
  });

  it("never removes latest's target, even when it is not among the newest", async () => {
    await writeSteps(1, 2, 3, 4);
    await rm(join(root, "latest"));
    await symlink("step-00000001", join(root, "latest"));
    await pruneCheckpoints(root, 2);
    expect(await listing()).toEqual(["latest", "step-00000001", "step-00000003", "step-00000004"]);
    await expect(pruneCheckpoints(root, 0)).rejects.toThrow(/keep must be an integer >= 1, got 0/);
  });

  it("orders by step number, not by name or time", async () => {
    await writeSteps(100_000_000, 99, 7); // 9 digits sorts before 8 as a string
    await pruneCheckpoints(root, 1);
    // latest points at step 7 (written last), the newest by step is 100000000.
    expect(await listing()).toEqual(["latest", "step-00000007", "step-100000000"]);
  });
});
