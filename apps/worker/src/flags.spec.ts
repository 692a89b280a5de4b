import { describe, expect, it } from "vitest";
import { backoffDelay, controlUrl } from "./control-client.ts";
import { parseWorkerFlags, workerProgram } from "./flags.ts";

function parse(args: string[], env: NodeJS.ProcessEnv = { VAE_CLUSTER_TOKEN: "t" }) {
  const p = workerProgram().exitOverride();
  p.parse(["node", "vae-worker", ...args]);
  return parseWorkerFlags(p.opts(), env);
}

describe("worker flags", () => {
  it("needs a token, from --token or the environment", () => {
    expect(() => parse([], {})).toThrow(/no cluster token/);
    expect(parse(["--token", "x"], {}).token).toBe("x");
  });

  it("binds loopback for a local coordinator and every interface for a remote one", () => {
    expect(parse([])).toMatchObject({ bindHost: "127.0.0.1", advertiseHost: "127.0.0.1" });
    // Remote: listen everywhere, and advertise the address this host reaches the coordinator from ("" = decided on connect).
    expect(parse(["--coordinator", "ws://10.0.0.1:7070"])).toMatchObject({ bindHost: "0.0.0.0", advertiseHost: "" });
    expect(parse(["--host", "0.0.0.0"]).advertiseHost).toBe("");
    expect(parse(["--host", "0.0.0.0", "--advertise-host", "10.1.2.3"]).advertiseHost).toBe("10.1.2.3");
    expect(parse(["--coordinator", "ws://10.0.0.1:7070", "--host", "192.168.1.5"]).advertiseHost).toBe("192.168.1.5");
  });

  it("sends only the settings it was given for the config check", () => {
    expect(parse([]).expect).toEqual({});
    expect(parse(["--dataset", "fashion-mnist", "--seed", "3"]).expect).toEqual({ dataset: "fashion-mnist", seed: 3 });
  });

  it("rejects a coordinator that is not a WebSocket URL", () => {
    expect(() => parse(["--coordinator", "http://x:7070"])).toThrow(/ws:\/\/ or wss:\/\//);
    expect(controlUrl("ws://head:7070")).toBe("ws://head:7070/cluster");
  });

  it("-1 turns the metrics server off", () => {
    expect(parse(["--metrics-port", "-1"]).metricsPort).toBeNull();
    expect(parse([]).metricsPort).toBe(0);
  });
});

describe("reconnect backoff", () => {
  it("doubles from the base up to the cap, with up to 50% jitter", () => {
    expect(backoffDelay(0, 250, 10_000, () => 0)).toBe(250);
    expect(backoffDelay(3, 250, 10_000, () => 0)).toBe(2_000);
    expect(backoffDelay(20, 250, 10_000, () => 0)).toBe(10_000);
    expect(backoffDelay(0, 250, 10_000, () => 0.999)).toBeCloseTo(374.9, 0);
  });
});
