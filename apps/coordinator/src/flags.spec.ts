import { describe, expect, it } from "vitest";
import { UsageError } from "@vae/cli";
import { coordinatorProgram, parseCoordinatorFlags, withSavedSettings } from "./flags.ts";

function parse(args: string[], env: NodeJS.ProcessEnv = {}) {
  const p = coordinatorProgram().exitOverride();
  p.parse(["node", "vae-coordinator", ...args]);
  return parseCoordinatorFlags(p.opts(), env);
}

describe("coordinator flags", () => {
  it("takes the documented defaults", () => {
    const f = parse([], { VAE_CLUSTER_TOKEN: "t" });
    expect(f).toMatchObject({ port: 7070, host: "127.0.0.1", workers: 2, minWorkers: 1, algorithm: "ring", compress: "none", token: "t", tokenGenerated: false });
    expect(f.config).toMatchObject({ dataset: "mnist", batchSize: 128, learningRate: 1e-3, seed: 1 });
  });

  it("names the flag and the value that are wrong", () => {
    expect(() => parse(["--workers", "zero"])).toThrow(/--workers: expected a positive integer, got "zero"/);
    expect(() => parse(["--algorithm", "tree"])).toThrow(/--algorithm: expected one of ring, star/);
    expect(() => parse(["--workers", "2", "--min-workers", "3"])).toThrow(UsageError);
    expect(() => parse(["--tls-cert", "a.pem"])).toThrow(/--tls-cert and --tls-key go together/);
    expect(() => parse(["--heartbeat-interval", "500", "--heartbeat-timeout", "400"])).toThrow(/must exceed/);
  });

  it("generates a token when none is given, and says so", () => {
    const f = parse([]);
    expect(f.tokenGenerated).toBe(true);
    expect(f.token.length).toBeGreaterThan(20);
  });

  it("on --resume, keeps the saved settings except those given again", () => {
    const f = parse(["--resume", "--checkpoint-every", "7"], { VAE_CLUSTER_TOKEN: "t" });
    const merged = withSavedSettings(f, { workers: 4, maxSteps: 300, checkpointEvery: 50, algorithm: "star" });
    expect(merged).toMatchObject({ workers: 4, maxSteps: 300, checkpointEvery: 7, algorithm: "star" });
  });
});
