// Headless Chromium for browser tests: the Debian `chromium` package driven by
// playwright-core. Never downloads a browser; a fresh profile per launch; no
// background traffic. Every request the page makes outside `origin` is aborted
// and recorded, so a test can prove the page works offline (no CDN).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { ROOT } from "./processes.ts";

export const CHROMIUM = process.env.VAE_CHROMIUM ?? "/usr/bin/chromium";
/** Where tests keep screenshots (gitignored). */
export const ARTIFACTS = join(ROOT, "test-results");

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface BrowserSession {
  page: Page;
  context: BrowserContext;
  /** Uncaught page errors and console errors, as text. */
  errors: string[];
  /** Requests to anything but `origin` (aborted). */
  foreign: string[];
  close(): Promise<void>;
}

export async function openBrowser(origin: string): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), "vae-chromium-"));
  // launchPersistentContext is how playwright takes an explicit --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 1000 },
    timeout: 60_000,
  });
  const errors: string[] = [];
  const foreign: string[] = [];
  await context.route(
    (url) => url.origin !== origin,
    (route) => {
      foreign.push(route.request().url());
      return route.abort();
    },
  );
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console error: ${msg.text()}`);
  });
  return {
    page,
    context,
    errors,
    foreign,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
