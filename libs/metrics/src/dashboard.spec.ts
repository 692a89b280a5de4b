// The Grafana dashboard and the Prometheus configuration against the code:
// every metric the dashboard queries must be exported by a registry built from
// names.ts (STYLE.md item 13), every query must be valid PromQL, and the
// Prometheus files must pass promtool.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createCoordinatorMetrics } from "./coordinator-metrics.ts";
import { parseExposition, seriesNames } from "./exposition.ts";
import { METRIC_NAMES } from "./names.ts";
import { createWorkerMetrics } from "./worker-metrics.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const deploy = join(root, "deploy");
const tmp = mkdtempSync(join(tmpdir(), "vae-dashboard-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Obj = Record<string, any>;
const dashboard = JSON.parse(readFileSync(join(deploy, "grafana", "dashboards", "vae-cluster.json"), "utf8")) as Obj;
const prometheusYml = readFileSync(join(deploy, "prometheus", "prometheus.yml"), "utf8");
const prometheus = parse(prometheusYml) as Obj;

/** Every panel, including those nested in collapsed rows. */
function allPanels(panels: Obj[]): Obj[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}
const panels = allPanels(dashboard.panels);
const exprs = panels.flatMap((p) => ((p.targets ?? []) as Obj[]).map((t) => t.expr as string));
const variableQueries = (dashboard.templating.list as Obj[])
  .filter((v) => v.type === "query")
  .map((v) => (typeof v.query === "string" ? v.query : v.query.query) as string);

/** Series names (histograms expanded to _bucket/_sum/_count) exported by the coordinator or a worker. */
async function exportedSeries(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [createCoordinatorMetrics().registry, createWorkerMetrics().registry]) {
    for (const [family, type] of parseExposition(await registry.metrics()).types) {
      for (const s of seriesNames(family, type)) names.add(s);
    }
  }
  return names;
}

/**
 * promtool must run where the CI runs (it installs Debian's `prometheus`).
 * VAE_SKIP_PROMTOOL=1 is the explicit opt-out for a machine without it; without
 * the variable, a missing promtool fails these tests with instructions.
 */
const skipPromtool = process.env.VAE_SKIP_PROMTOOL === "1";
function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync("promtool", args, { encoding: "utf8", timeout: 30_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error("promtool not found on PATH: install it (Debian/Ubuntu: apt-get install prometheus) or set VAE_SKIP_PROMTOOL=1 to skip the promtool checks");
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("Grafana dashboard", () => {
  it("queries only metrics that the code exports", async () => {
    const exported = await exportedSeries();
    const used = new Set<string>();
    for (const q of [...exprs, ...variableQueries]) {
      for (const [name] of q.matchAll(/\b(?:vae|process|nodejs)_[a-z0-9_]+\b/g)) used.add(name);
    }
    expect(used.size).toBeGreaterThan(15);
    const unknown = [...used].filter((n) => !exported.has(n));
    expect(unknown, "queried by deploy/grafana/dashboards/vae-cluster.json but exported by no registry").toEqual([]);
  });

  it("shows every metric in names.ts", () => {
    const text = [...exprs, ...variableQueries].join("\n");
    const missing = METRIC_NAMES.filter((n) => !new RegExp(`\\b${n}(_bucket|_sum|_count)?\\b`).test(text));
    expect(missing, "metrics no panel shows").toEqual([]);
  });

  it("has the panels the brief asks for", () => {
    const byTitle = (re: RegExp) => panels.filter((p) => re.test(p.title));
    const stacked = byTitle(/step breakdown/i)[0]!;
    expect(stacked.fieldConfig.defaults.custom.stacking.mode).toBe("normal");
    expect(stacked.repeat).toBe("rank");
    expect(stacked.targets.map((t: Obj) => t.legendFormat)).toEqual(["wait", "compute", "allreduce", "apply"]);
    for (const re of [/loss/i, /throughput/i, /bus bandwidth/i, /traffic/i, /workers and generation/i, /membership/i, /checkpoint/i, /rejected/i]) {
      expect(byTitle(re).length, String(re)).toBeGreaterThan(0);
    }
    expect(exprs.some((e) => e.includes("increase(vae_membership_changes_total"))).toBe(true);
  });

  it("is a well-formed dashboard on a datasource variable", () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.uid).toBe("vae-cluster");
    const dsVar = (dashboard.templating.list as Obj[]).find((v) => v.type === "datasource")!;
    expect(dsVar.query).toBe("prometheus");
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, `panel ${p.title}`).toBeLessThanOrEqual(24);
      if (p.type === "row") continue;
      expect(p.datasource, `panel ${p.title}`).toEqual({ type: "prometheus", uid: `\${${dsVar.name}}` });
      expect(p.targets.length, `panel ${p.title}`).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.datasource.uid).toBe(`\${${dsVar.name}}`);
    }
    // The default datasource is the provisioned one.
    const provisioned = parse(readFileSync(join(deploy, "grafana", "provisioning", "datasources", "prometheus.yaml"), "utf8")) as Obj;
    expect(dsVar.current.value).toBe(provisioned.datasources[0].uid);
    expect(provisioned.datasources[0].jsonData.timeInterval).toBe(prometheus.global.scrape_interval);
  });

  it("is loaded from where compose mounts it", () => {
    const provider = parse(readFileSync(join(deploy, "grafana", "provisioning", "dashboards", "vae-cluster.yaml"), "utf8")) as Obj;
    const compose = parse(readFileSync(join(deploy, "compose.yaml"), "utf8"), { merge: true }) as Obj;
    const mounts = compose.services.grafana.volumes as string[];
    expect(mounts).toContain(`./grafana/dashboards:${provider.providers[0].options.path}:ro`);
    expect(mounts).toContain("./grafana/provisioning:/etc/grafana/provisioning:ro");
  });

  it.skipIf(skipPromtool)("holds valid PromQL in every query (promtool check rules)", () => {
    // Each expression becomes a recording rule, with Grafana's variables filled in.
    const rules = {
      groups: [
        {
          name: "dashboard",
          rules: [...exprs, ...variableQueries.map((q) => /^label_values\((\w+)/.exec(q)![1]!)].map((expr, i) => ({
            record: `dashboard:query_${i}`,
            expr: expr.replaceAll("$__rate_interval", "1m").replaceAll("$rank", "0"),
          })),
        },
      ],
    };
    const file = join(tmp, "dashboard-rules.json");
    writeFileSync(file, JSON.stringify(rules)); // JSON is YAML
    const r = promtool("check", "rules", file);
    expect(r.output).toContain(`SUCCESS: ${rules.groups[0]!.rules.length} rules found`);
    expect(r.status).toBe(0);
  });
});

describe("Prometheus configuration", () => {
  const jobs = Object.fromEntries((prometheus.scrape_configs as Obj[]).map((j) => [j.job_name, j]));

  it("scrapes the coordinator every 5 s and discovers workers through its /api/sd", () => {
    expect(prometheus.global.scrape_interval).toBe("5s");
    const coordinator = jobs["vae-coordinator"].static_configs[0].targets[0] as string;
    expect(coordinator).toBe("127.0.0.1:7070");
    expect(jobs["vae-worker"].http_sd_configs[0].url).toBe(`http://${coordinator}/api/sd`);
    // Both strings are easy to rewrite: the coordinator address appears verbatim only where it is used.
    expect(prometheusYml.match(/127\.0\.0\.1:7070/g)!.length).toBeGreaterThanOrEqual(2);
  });

  it("in Kubernetes, has the same jobs aimed at the coordinator Service", () => {
    const cm = parse(readFileSync(join(deploy, "k8s", "prometheus-config.yaml"), "utf8")) as Obj;
    const inCluster = parse(cm.data["prometheus.yml"]) as Obj;
    const k8sJobs = Object.fromEntries((inCluster.scrape_configs as Obj[]).map((j) => [j.job_name, j]));
    expect(Object.keys(k8sJobs).sort()).toEqual(Object.keys(jobs).sort());
    expect(k8sJobs["vae-coordinator"].static_configs[0].targets).toEqual(["vae-coordinator:7070"]);
    expect(k8sJobs["vae-worker"].http_sd_configs[0].url).toBe("http://vae-coordinator:7070/api/sd");
    expect(k8sJobs["vae-worker"].relabel_configs).toEqual(jobs["vae-worker"].relabel_configs);
  });

  it.skipIf(skipPromtool)("passes promtool check config, locally and in Kubernetes", () => {
    const local = promtool("check", "config", join(deploy, "prometheus", "prometheus.yml"));
    expect(local.output).toContain("SUCCESS");
    expect(local.status).toBe(0);
    const cm = parse(readFileSync(join(deploy, "k8s", "prometheus-config.yaml"), "utf8")) as Obj;
    const file = join(tmp, "k8s-prometheus.yml");
    writeFileSync(file, cm.data["prometheus.yml"]);
    const k8s = promtool("check", "config", file);
    expect(k8s.output).toContain("SUCCESS");
    expect(k8s.status).toBe(0);
  });
});
