// README.md is the protocol's reference: it must name every message, error code and limit.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CLOSE_CODES, ERROR_CODES } from "./errors.ts";
import * as limits from "./limits.ts";
import { SCHEMAS } from "./messages.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README.md", () => {
  it("documents every message in a table row", () => {
    for (const type of Object.keys(SCHEMAS)) expect(readme, type).toMatch(new RegExp(`^\\| \`${type}\` \\|`, "m"));
  });

  it("documents every error code with its close code", () => {
    for (const code of ERROR_CODES) expect(readme, code).toMatch(new RegExp(`^\\| \`${code}\` \\| ${ERROR_CLOSE_CODES[code]} \\|`, "m"));
  });

  it("documents every limit", () => {
    for (const name of Object.keys(limits)) expect(readme, name).toContain(`\`${name}\``);
  });
});
