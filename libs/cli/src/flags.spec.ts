import { describe, expect, it } from "vitest";

import { UsageError } from "./errors.ts";
import { backendFlag, choiceFlag, intFlag, intListFlag, numberFlag, requireTogether, requiredString } from "./flags.ts";

describe("flag parsers", () => {
  it("take the fallback when a flag is absent, and parse what was typed otherwise", () => {
    expect(intFlag("epochs", undefined, 10, 1)).toBe(10);
    expect(intFlag("epochs", "3", 10, 1)).toBe(3);
    expect(numberFlag("lr", "1e-3", 0.5)).toBe(0.001);
    expect(numberFlag("beta", "0", 1, true)).toBe(0);
    expect(intListFlag("hidden", "512, 256", [400])).toEqual([512, 256]);
    expect(intListFlag("hidden", "none", [400])).toEqual([]);
    expect(choiceFlag("decoder", "gaussian", "bernoulli", ["bernoulli", "gaussian"])).toBe("gaussian");
    expect(backendFlag({})).toBe("auto");
    expect(backendFlag({ backend: "cpu" })).toBe("cpu");
  });

  it.each([
    ["epochs", () => intFlag("epochs", "abc", 10, 1), /--epochs: expected a positive integer, got "abc"/],
    ["epochs", () => intFlag("epochs", "0", 10, 1), /--epochs: expected a positive integer, got "0"/],
    ["epochs", () => intFlag("epochs", "2.5", 10, 1), /--epochs: expected a positive integer, got "2.5"/],
    ["epochs", () => intFlag("epochs", "1e3", 10, 1), /got "1e3"/],
    ["limit", () => intFlag("limit", "-1", 0, 0), /--limit: expected a non-negative integer, got "-1"/],
    ["lr", () => numberFlag("lr", "0", 1), /--lr: expected a finite number > 0, got "0"/],
    ["lr", () => numberFlag("lr", "Infinity", 1), /--lr: expected a finite number > 0/],
    ["lr", () => numberFlag("lr", "", 1), /--lr: expected a finite number > 0, got ""/],
    ["hidden", () => intListFlag("hidden", "400,x", [400]), /--hidden: expected comma-separated positive integers.*got "400,x"/],
    ["hidden", () => intListFlag("hidden", "0", [400]), /--hidden/],
    ["backend", () => backendFlag({ backend: "gpu" }), /--backend: expected one of auto, tensorflow-gpu, tensorflow, wasm, cpu, got "gpu"/],
    ["out", () => requiredString("out", undefined), /--out is required/],
    ["from", () => requireTogether({ from: "1" }, "from", "to"), /--from and --to go together/],
  ])("reject a bad --%s with a UsageError naming flag and value", (_flag, f, message) => {
    expect(f).toThrow(UsageError);
    expect(f).toThrow(message);
  });
});
