import { describe, expect, it } from "vitest";
import { DeadlineMissed, GenerationBroken, ReplyCollector } from "./reply-collector.ts";

describe("ReplyCollector", () => {
  it("resolves once every expected worker answered for this generation and step", async () => {
    const c = new ReplyCollector<number>("stepDone", 3, new Set(["a", "b"]), 1_000, 7);
    expect(c.offer("a", "stepDone", 2, 7, 1)).toBe(false); // older generation
    expect(c.offer("a", "stepDone", 3, 6, 1)).toBe(false); // other step
    expect(c.offer("x", "stepDone", 3, 7, 1)).toBe(false); // not expected
    expect(c.offer("a", "ready", 3, 7, 1)).toBe(false); // other type
    expect(c.offer("a", "stepDone", 3, 7, 10)).toBe(true);
    expect(c.offer("a", "stepDone", 3, 7, 11)).toBe(false); // twice
    expect(c.offer("b", "stepDone", 3, 7, 20)).toBe(true);
    expect(Object.fromEntries(await c.promise)).toEqual({ a: 10, b: 20 });
  });

  it("names the workers that missed the deadline", async () => {
    const c = new ReplyCollector<number>("ready", 1, new Set(["a", "b", "c"]), 50);
    c.offer("b", "ready", 1, null, 0);
    const err = await c.promise.catch((e) => e);
    expect(err).toBeInstanceOf(DeadlineMissed);
    expect(err.missing).toEqual(["a", "c"]);
    expect(err.message).toMatch(/no answer within 50 ms from a, c/);
  });

  it("rejects when the generation breaks", async () => {
    const c = new ReplyCollector<number>("ready", 1, new Set(["a"]), 0);
    c.fail(new GenerationBroken("worker b lost"));
    await expect(c.promise).rejects.toThrow(/worker b lost/);
  });
});
