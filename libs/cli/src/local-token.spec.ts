import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localTokenPath, readLocalToken, writeLocalToken } from "./local-token.ts";

describe("local token file", () => {
  const env = { VAE_TOKEN_DIR: join(mkdtempSync(join(tmpdir(), "vae-token-")), "d") };

  it("is readable by loopback workers of the same port only, and by nobody else on the host", () => {
    const remove = writeLocalToken(7171, "s3cret", env);
    expect(statSync(localTokenPath(7171, env)).mode & 0o777).toBe(0o600);
    expect(readLocalToken("ws://127.0.0.1:7171", env)).toBe("s3cret");
    expect(readLocalToken("ws://localhost:7171/cluster", env)).toBe("s3cret");
    expect(readLocalToken("ws://127.0.0.1:7172", env)).toBeNull();
    expect(readLocalToken("ws://10.0.0.5:7171", env)).toBeNull();
    remove();
    expect(readLocalToken("ws://127.0.0.1:7171", env)).toBeNull();
  });
});
