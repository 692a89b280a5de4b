// The coordinator's dashboard in real headless Chromium (Debian `chromium`,
// driven by playwright-core) against a live cluster of two spawned workers:
// the page loads with no foreign request and no error, the loss chart gains
// points while training advances (pushed over /api/events), the worker table
// lists both workers and drops the one that leaves, the membership log records
// the leave, and the sample grid loads. Screenshots go to test-results/.
import { afterEach, describe, expect, it } from "vitest";
import { TEST_TOKEN, startCluster, type Cluster } from "./support/cluster.ts";
import { killAll, start, until } from "./support/processes.ts";
import { artifactPath, openBrowser, type BrowserSession } from "./support/browser.ts";

const CLUSTER = [
  "--workers", "2", "--min-workers", "1", "--spawn-workers", "2", "--backend", "wasm",
  // 16 steps per epoch: an epoch (and a sample grid) every few seconds.
  "--train-limit", "512", "--test-limit", "200", "--batch-size", "32", "--epochs", "500",
  "--checkpoint-every", "0",
];

let browser: BrowserSession | null = null;
let cluster: Cluster | null = null;

afterEach(async () => {
  await browser?.close();
  browser = null;
  cluster = null;
  await killAll();
});

const rows = (s: BrowserSession) => s.page.$$eval("#workers tbody tr", (trs) => trs.map((tr) => (tr as HTMLElement).dataset.workerId!));
const lossPoints = (s: BrowserSession) => s.page.$eval("#loss-chart", (el) => Number((el as HTMLElement).dataset.points));

describe("the dashboard at /", () => {
  it("shows live curves, every worker, a leave and the sample grid, pushed from a live cluster", async () => {
    cluster = await startCluster(CLUSTER, { deadlineMs: 200_000 });
    const origin = `http://127.0.0.1:${cluster.port}`;
    await until(async () => (await cluster!.status()).state === "training", 90_000, "two workers training");

    browser = await openBrowser(origin);
    const { page } = browser;
    const response = await page.goto(`${origin}/`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");

    // The snapshot arrives over the event stream: both workers are listed.
    await page.waitForFunction(() => document.querySelectorAll("#workers tbody tr").length === 2, null, { timeout: 30_000 });
    const status = await cluster.status();
    const ids = status.workers.map((w: any) => w.workerId).sort();
    expect((await rows(browser)).sort()).toEqual(ids);
    await expect.poll(() => page.textContent("#connection"), { timeout: 10_000 }).toBe("live");
    expect(await page.$("#loss-chart canvas")).not.toBeNull(); // uPlot drew, from /vendor/
    expect(await page.textContent("#state")).toBe("training");

    // The loss chart gains points while training advances, with no reload.
    const before = await lossPoints(browser);
    await page.waitForFunction((n) => Number(document.getElementById("loss-chart")!.dataset.points) >= n + 10, before, { timeout: 60_000 });
    // One point per committed step (the run is far below the curve's capacity), and never ahead of the coordinator.
    // Read the page first: the coordinator only moves on, so its step read afterwards bounds the page's points.
    const points = await lossPoints(browser);
    expect((await cluster.status()).step).toBeGreaterThanOrEqual(points);
    expect(Number(await page.$eval("#rate-chart", (el) => (el as HTMLElement).dataset.points))).toBeGreaterThan(before);
    // The per-rank breakdown has a bar per rank.
    await page.waitForFunction(() => document.getElementById("breakdown-chart")!.dataset.ranks === "2", null, { timeout: 30_000 });

    // The sample grid of the latest epoch loads.
    await page.waitForFunction(
      () => {
        const img = document.getElementById("samples") as HTMLImageElement;
        return !img.hidden && img.complete && img.naturalWidth > 0;
      },
      null,
      { timeout: 60_000 },
    );
    const grid = await page.$eval("#samples", (img) => ({ w: (img as HTMLImageElement).naturalWidth, h: (img as HTMLImageElement).naturalHeight }));
    expect(grid.w).toBeGreaterThan(100);
    expect(grid.h).toBeGreaterThan(100);
    // …and so do the test images above their reconstructions (two rows of 16 digits).
    await page.waitForFunction(() => {
      const img = document.getElementById("reconstructions") as HTMLImageElement;
      return !img.hidden && img.complete && img.naturalWidth > 0;
    }, null, { timeout: 30_000 });
    const recon = await page.$eval("#reconstructions", (img) => ({ w: (img as HTMLImageElement).naturalWidth, h: (img as HTMLImageElement).naturalHeight }));
    expect(recon.w).toBeGreaterThan(recon.h * 4);
    await page.screenshot({ path: artifactPath("dashboard-two-workers.png"), fullPage: true });

    // A worker leaves (SIGTERM → `leave`): the table drops it, the log records it, training goes on.
    const gone = (await cluster.status()).workers.find((w: any) => w.rank === 1);
    process.kill(gone.pid, "SIGTERM");
    await page.waitForFunction((id) => {
      const trs = Array.from(document.querySelectorAll<HTMLElement>("#workers tbody tr"));
      return trs.length === 1 && trs[0]!.dataset.workerId !== id;
    }, gone.workerId, { timeout: 60_000 });
    await page.waitForFunction(
      (id) => Array.from(document.querySelectorAll<HTMLElement>("#events li")).some((li) => li.dataset.reason === "leave" && li.textContent!.includes(id)),
      gone.workerId,
      { timeout: 10_000 },
    );
    const afterLeave = await lossPoints(browser);
    await page.waitForFunction((n) => Number(document.getElementById("loss-chart")!.dataset.points) >= n + 5, afterLeave, { timeout: 60_000 });
    expect(await page.textContent("#worker-count")).toBe("1");
    await until(async () => (await cluster!.status()).workers.length === 1, 10_000, "the coordinator to list one worker");
    await page.screenshot({ path: artifactPath("dashboard-after-leave.png"), fullPage: true });

    expect(browser.foreign, "requests outside the coordinator (the page must work offline)").toEqual([]);
    expect(browser.errors).toEqual([]);

    cluster.proc.child.kill("SIGINT");
    expect(await cluster.proc.exited).toEqual({ code: 0, signal: null });
  });

  it("shows the straggler: a worker on the slow cpu backend computes longest while the other waits in the all-reduce", async () => {
    // One wasm worker spawned, one plain-JavaScript (cpu) worker by hand: the cpu one is several times slower.
    cluster = await startCluster(["--workers", "2", "--spawn-workers", "1", "--backend", "wasm", "--train-limit", "512", "--test-limit", "100", "--batch-size", "32", "--epochs", "500", "--checkpoint-every", "0"], { deadlineMs: 200_000 });
    start("worker", ["--coordinator", cluster.url, "--backend", "cpu", "--id", "slow-cpu"], { env: { VAE_CLUSTER_TOKEN: TEST_TOKEN }, deadlineMs: 200_000 });
    const origin = `http://127.0.0.1:${cluster.port}`;
    await until(async () => (await cluster!.status()).step >= 5, 90_000, "two workers training");
    browser = await openBrowser(origin);
    const { page } = browser;
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#workers tr.straggler")?.dataset.workerId === "slow-cpu", null, { timeout: 60_000 });
    expect(await page.textContent("#straggler")).toMatch(/^rank \d \(slow-cpu\) computes \d+\.\d× as long as the fastest rank/);
    // The table says why (its columns are the last step's, hence polled): the straggler's compute
    // is long, and the other rank's all-reduce, which waits for the straggler's part, is long.
    const lastStep = () =>
      page.$$eval("#workers tbody tr", (trs) =>
        trs.map((tr) => ({ id: (tr as HTMLElement).dataset.workerId!, cells: Array.from(tr.querySelectorAll("td"), (td) => td.textContent!) })),
      );
    await expect
      .poll(async () => {
        const rows = await lastStep();
        const slow = rows.find((r) => r.id === "slow-cpu")!;
        const fast = rows.find((r) => r.id !== "slow-cpu")!;
        return [slow.cells[3], Number(slow.cells[6]) > Number(fast.cells[6]), Number(fast.cells[7]) > Number(slow.cells[7])];
      }, { timeout: 30_000 })
      .toEqual(["cpu", true, true]);
    expect(await page.$eval("#breakdown-chart", (el) => (el as HTMLElement).dataset.ranks)).toBe("2");
    await page.screenshot({ path: artifactPath("dashboard-straggler.png"), fullPage: true });
    expect(browser.errors).toEqual([]);
  });

  it("serves only its own files, with their content types, and is read-only", async () => {
    cluster = await startCluster(["--workers", "1", "--train-limit", "64", "--test-limit", "64"], { deadlineMs: 60_000 });
    const origin = `http://127.0.0.1:${cluster.port}`;
    const get = (path: string, init?: RequestInit) => fetch(origin + path, init);
    const types: Record<string, RegExp> = {
      "/": /^text\/html/,
      "/dashboard.js": /^text\/javascript/,
      "/charts.js": /^text\/javascript/,
      "/dashboard.css": /^text\/css/,
      "/vendor/uPlot.esm.js": /^text\/javascript/,
      "/vendor/uPlot.min.css": /^text\/css/,
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toMatch(type);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      await res.arrayBuffer();
    }
    // No sample grid before the first epoch, and nothing outside the table of files.
    expect((await get("/samples.png")).status).toBe(404);
    // fetch normalises "..", so raw paths go over a plain socket.
    for (const raw of ["/../package.json", "/vendor/../../package.json", "/%2e%2e/package.json", "/vendor/%2e%2e/package.json", "/..%2fpackage.json", "//etc/passwd", "/dashboard.js/", "/.gitignore"]) {
      expect(await rawStatus(cluster.port, raw), raw).toBe(404);
    }
    expect((await get("/", { method: "POST" })).status).toBe(405);
    const events = await get("/api/events");
    expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = events.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^retry: \d+/);
    await reader.cancel();
    cluster.proc.child.kill("SIGINT");
    expect(await cluster.proc.exited).toEqual({ code: 0, signal: null });
  });
});

/** The status of a GET for `path` sent exactly as given (no URL normalisation). */
async function rawStatus(port: number, path: string): Promise<number> {
  const { createConnection } = await import("node:net");
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: "127.0.0.1", port }, () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = "";
    s.on("data", (d) => (data += d));
    s.on("end", () => resolve(Number(data.split(" ", 2)[1])));
    s.on("error", reject);
  });
}
