import { describe, expect, it } from "vitest";
import { createLogger, parseLogFormat } from "./logger.ts";

describe("createLogger", () => {
  it("hands each text record to a sink in one call, without its final newline", () => {
    const lines: string[] = [];
    const log = createLogger("coordinator", "text", "info", (l) => lines.push(l));
    log.info({ workerId: "w1" }, "worker w1 joined");
    log.debug("below the level");
    log.warn("two\nwords");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: coordinator: worker w1 joined \{"workerId":"w1"\}$/);
    // A message of several lines stays one call, so a progress bar prints it whole above itself.
    expect(lines[1]).toMatch(/WARN: coordinator: two\nwords$/);
    for (const l of lines) expect(l).not.toMatch(/\n$/);
  });

  it("hands each JSON record to a sink as one line of JSON", () => {
    const lines: string[] = [];
    const log = createLogger("coordinator", "json", "info", (l) => lines.push(l));
    log.info({ url: "http://127.0.0.1:1" }, "listening");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, name: "coordinator", url: "http://127.0.0.1:1", msg: "listening" });
  });

  it("accepts text or json only", () => {
    expect(parseLogFormat("json")).toBe("json");
    expect(() => parseLogFormat("xml")).toThrow('--log-format must be "text" or "json", got "xml"');
  });
});
