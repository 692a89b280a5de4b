import { PeerLostError, StarHub, starAllReduce, withHubCompression, type WireArray } from "@vae/allreduce";
import { randomInputs, settleWithin, sumProblem, within } from "@vae/allreduce/testing";
import { describe, expect, it } from "vitest";
import { message, type Message, type Reduced } from "./messages.ts";
import { StarChannel } from "./star-channel.ts";

describe("StarChannel", () => {
  it("carries a star all-reduce as reduce/reduced messages, dropping replies of other steps", async () => {
    const w = 3;
    const hub = new StarHub(w, 50, "fp16");
    const channels: StarChannel[] = [];
    const sent: Message[] = [];
    for (let r = 0; r < w; r++) {
      channels.push(
        new StarChannel({
          send: async (msg) => {
            sent.push(msg);
            if (msg.type !== "reduce") return;
            // The coordinator's side: contribute, and answer everyone once complete.
            if (hub.contribute(r, msg.data as WireArray)) {
              const reply = message("reduced", { g: msg.g, step: msg.step, data: hub.result() }) as Reduced;
              channels.forEach((c) => c.deliver(message("reduced", { g: 1, step: 6, data: new Float32Array(1) }) as Reduced));
              channels.forEach((c) => c.deliver(reply));
            }
          },
        }),
      );
    }
    const inputs = randomInputs(w, 50, 1);
    const bufs = inputs.map((x) => x.slice());
    const rs = await settleWithin(bufs.map((b, r) => starAllReduce(b, withHubCompression(channels[r].link(1, 7, r, w), "fp16"))), 2_000);
    for (const r of rs) expect(r.status).toBe("fulfilled");
    expect(sumProblem(inputs, bufs, 4 * 2 ** -11, 2 ** -22)).toBeNull();
    expect(sent.map((m) => m.type)).toEqual(["reduce", "reduce", "reduce"]);
    expect(sent[0]).toMatchObject({ g: 1, step: 7 });
    expect(channels[0].staleDropped).toBeGreaterThan(0);
  });

  it("fails the pending round on abort, naming the hub", async () => {
    const ch = new StarChannel({ send: async () => {} });
    const run = starAllReduce(new Float32Array(4), withHubCompression(ch.link(1, 1, 0, 2), "none"));
    ch.abort(new Error("control connection closed"));
    const err = await within(run, 1_000).catch((e) => e);
    expect(err).toBeInstanceOf(PeerLostError);
    expect(err.message).toBe("hub lost: control connection closed");
  });
});
