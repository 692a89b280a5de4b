import { describe, expect, it } from "vitest";
import { PeerLostError } from "../peer-link.ts";
import { MemoryMesh } from "./memory-mesh.ts";
import { within } from "./deadline.ts";

describe("MemoryMesh", () => {
  it("copies on send and keeps per-pair order under random delays", async () => {
    const mesh = new MemoryMesh(2, { delay: { maxMs: 3, seed: 4 } });
    const a = mesh.link(0);
    const b = mesh.link(1);
    const x = new Float32Array([0]);
    for (let i = 0; i < 50; i++) {
      x[0] = i;
      await a.send(1, x);
    }
    x[0] = -1;
    for (let i = 0; i < 50; i++) expect((await within(b.recv(0), 1_000))[0]).toBe(i);
    expect(mesh.stats.messagesSent).toEqual([50, 0]);
    expect(mesh.stats.bytesSent).toEqual([200, 0]);
    mesh.close();
  });

  it("drop rejects pending and future operations of every rank, naming the dropped rank", async () => {
    const mesh = new MemoryMesh(3);
    const pending = mesh.link(1).recv(0);
    mesh.drop(2, "gone");
    await expect(within(pending, 1_000)).rejects.toThrow(new PeerLostError(2, "gone").message);
    await expect(mesh.link(0).send(1, new Float32Array(1))).rejects.toBeInstanceOf(PeerLostError);
  });

  it("abort spreads a failure to the peers, naming the original culprit", async () => {
    const mesh = new MemoryMesh(3);
    const pending = mesh.link(2).recv(1);
    mesh.link(1).abort!(new PeerLostError(0, "timeout"));
    const err = await within(pending, 1_000).catch((e) => e);
    expect(err).toBeInstanceOf(PeerLostError);
    expect(err.peer).toBe(0);
    expect(err.message).toMatch(/rank 1 aborted: peer rank 0 lost: timeout/);
  });

  it("refuses to talk to itself or to ranks outside the world", async () => {
    const mesh = new MemoryMesh(2);
    await expect(mesh.link(0).send(0, new Float32Array(1))).rejects.toThrow(/rank 0 cannot send to rank 0/);
    await expect(mesh.link(0).recv(5)).rejects.toThrow(/cannot receive from rank 5/);
  });
});
