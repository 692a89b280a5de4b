// Note [Local token file]
// Without --token or VAE_CLUSTER_TOKEN the coordinator makes up a random token,
// so nobody can join who was not given it. For workers on the same host and
// account (spawned ones get it in their environment; `npx vae-worker` from
// another terminal does not) the coordinator also writes it to a file only that
// account can read, named by its port, and a worker dialing a loopback
// coordinator without a token reads it from there. Remote workers always need
// the token passed to them explicitly.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

function tokenDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.VAE_TOKEN_DIR ?? join(homedir(), ".vae-cluster");
}

export function localTokenPath(port: number, env: NodeJS.ProcessEnv = process.env): string {
  return join(tokenDir(env), `coordinator-${port}.token`);
}

/** Writes the token (mode 0600, in a 0700 directory) and returns a function that removes it. */
export function writeLocalToken(port: number, token: string, env: NodeJS.ProcessEnv = process.env): () => void {
  const dir = tokenDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = localTokenPath(port, env);
  writeFileSync(path, token, { mode: 0o600 });
  chmodSync(path, 0o600);
  return () => rmSync(path, { force: true });
}

/** Whether `url` names a coordinator on this host (a loopback address). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return ["127.0.0.1", "localhost", "[::1]", "::1"].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** The token a loopback coordinator on `url` left for local workers, or null. */
export function readLocalToken(url: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (!isLoopbackUrl(url)) return null;
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === "wss:" ? 443 : 80));
  try {
    return readFileSync(localTokenPath(port, env), "utf8").trim() || null;
  } catch {
    return null;
  }
}
