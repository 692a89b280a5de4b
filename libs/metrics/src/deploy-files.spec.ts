// Static checks of deploy/: Docker cannot run in CI, so the files that only a
// container runtime would read are checked here for what breaks them most
// often: YAML that does not parse, paths that do not exist, selectors that
// select nothing, ports that do not line up, and flags that disagree.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const deploy = join(root, "deploy");

type Obj = Record<string, any>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(e) ? [p] : [];
  });
}

function loadYaml(path: string): Obj[] {
  // merge: compose files use YAML 1.1 merge keys (<<: *anchor), which Docker Compose resolves.
  const docs = parseAllDocuments(readFileSync(path, "utf8"), { merge: true });
  return docs.map((d) => {
    const problems = [...d.errors, ...d.warnings].map((e) => e.message);
    if (problems.length > 0) throw new Error(`${relative(root, path)}: ${problems.join("; ")}`);
    return d.toJS() as Obj;
  });
}

/** `--flag value` pairs of an argument list. */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const isSubset = (small: Obj, big: Obj) => Object.entries(small).every(([k, v]) => big?.[k] === v);

describe("deploy YAML", () => {
  it("parses, every file and every document", () => {
    const files = yamlFiles(deploy);
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) expect(() => loadYaml(f), relative(root, f)).not.toThrow();
  });
});

describe("deploy/k8s", () => {
  const k8s = join(deploy, "k8s");

  /** Objects a kustomization builds from its resources (patches excluded), recursively. */
  function kustomize(dir: string): Obj[] {
    const [k] = loadYaml(join(dir, "kustomization.yaml"));
    expect(k!.kind).toBe("Kustomization");
    return (k!.resources as string[]).flatMap((r) => {
      const p = resolve(dir, r);
      expect(existsSync(p), `${relative(root, dir)}: resource ${r} does not exist`).toBe(true);
      return statSync(p).isDirectory() ? kustomize(p) : loadYaml(p);
    });
  }

  const objects = kustomize(k8s);
  const secretExample = loadYaml(join(k8s, "secret.example.yaml"))[0]!;
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
  const deployments = objects.filter((o) => o.kind === "Deployment");
  const containers = (d: Obj) => d.spec.template.spec.containers as Obj[];

  it("holds complete objects: apiVersion, kind, metadata.name", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual(
      ["ConfigMap/vae-prometheus-config", "Deployment/vae-coordinator", "Deployment/vae-worker", "Service/vae-coordinator"].sort(),
    );
    for (const o of [...objects, secretExample]) {
      expect(o.apiVersion, JSON.stringify(o.metadata)).toMatch(/^(v1|apps\/v1)$/);
      expect(o.kind).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  it("has Deployments whose selectors match their pod templates", () => {
    expect(deployments).toHaveLength(2);
    for (const d of deployments) {
      const selector = d.spec.selector.matchLabels as Obj;
      expect(Object.keys(selector).length, d.metadata.name).toBeGreaterThan(0);
      expect(isSubset(selector, d.spec.template.metadata.labels), `${d.metadata.name}: selector not in template labels`).toBe(true);
    }
    // The two selectors must not overlap, or each Deployment would adopt the other's pods.
    const [a, b] = deployments.map((d) => d.spec.selector.matchLabels as Obj);
    expect(isSubset(a!, deployments[1]!.spec.template.metadata.labels) || isSubset(b!, deployments[0]!.spec.template.metadata.labels)).toBe(false);
    expect(find("Deployment", "vae-worker")!.spec.replicas).toBe(2);
    expect(find("Deployment", "vae-coordinator")!.spec.replicas).toBe(1);
  });

  it("has Services that select pods and target ports those pods expose", () => {
    for (const svc of objects.filter((o) => o.kind === "Service")) {
      const selected = deployments.filter((d) => isSubset(svc.spec.selector, d.spec.template.metadata.labels));
      expect(selected.map((d) => d.metadata.name), `Service ${svc.metadata.name} selects no pods`).not.toEqual([]);
      for (const port of svc.spec.ports as Obj[]) {
        const target = port.targetPort ?? port.port;
        const exposed = selected.flatMap(containers).flatMap((c) => (c.ports ?? []) as Obj[]);
        const match = exposed.find((p) => (typeof target === "string" ? p.name === target : p.containerPort === target));
        expect(match, `Service ${svc.metadata.name} port ${port.port}: no container port ${target}`).toBeDefined();
      }
    }
  });

  it("wires the token Secret, the pod IP and the coordinator address into the containers", () => {
    const svc = find("Service", "vae-coordinator")!;
    const coordinator = containers(find("Deployment", "vae-coordinator")!)[0]!;
    const worker = containers(find("Deployment", "vae-worker")!)[0]!;
    for (const c of [coordinator, worker]) {
      const token = (c.env as Obj[]).find((e) => e.name === "VAE_CLUSTER_TOKEN")!.valueFrom.secretKeyRef;
      expect(token.name).toBe(secretExample.metadata.name);
      expect(Object.keys(secretExample.stringData)).toContain(token.key);
      // Every $(VAR) in args must be an env var of the same container, or Kubernetes passes it literally.
      const defined = new Set((c.env as Obj[]).map((e) => e.name));
      for (const a of c.args as string[]) for (const [, v] of a.matchAll(/\$\(([A-Z_]+)\)/g)) expect(defined, `$(${v})`).toContain(v);
    }
    expect(flag(coordinator.args, "--host")).toBe("0.0.0.0");
    expect(Number(flag(coordinator.args, "--port"))).toBe(coordinator.ports[0].containerPort);
    for (const f of ["--workers", "--dataset", "--epochs"]) expect(flag(coordinator.args, f), f).toBeDefined();

    expect(flag(worker.args, "--coordinator")).toBe(`ws://${svc.metadata.name}:${svc.spec.ports[0].port}`);
    expect(flag(worker.args, "--backend")).toBe("auto");
    expect(flag(worker.args, "--advertise-host")).toBe("$(POD_IP)");
    expect((worker.env as Obj[]).find((e) => e.name === "POD_IP")!.valueFrom.fieldRef.fieldPath).toBe("status.podIP");
    const ports = Object.fromEntries((worker.ports as Obj[]).map((p) => [p.name, p.containerPort]));
    expect([Number(flag(worker.args, "--peer-port")), Number(flag(worker.args, "--metrics-port"))]).toEqual([ports.peer, ports.metrics]);
  });

  it("has a GPU overlay that patches an existing container with one GPU and the GPU image", () => {
    const gpu = join(k8s, "gpu");
    expect(kustomize(gpu).length).toBe(objects.length);
    const [k] = loadYaml(join(gpu, "kustomization.yaml"));
    for (const { path } of k!.patches as { path: string }[]) {
      const [patch] = loadYaml(join(gpu, path));
      const target = find(patch!.kind, patch!.metadata.name);
      expect(target, `${path} patches ${patch!.kind}/${patch!.metadata.name}, which does not exist`).toBeDefined();
      for (const c of patch!.spec.template.spec.containers as Obj[]) {
        const base = containers(target!).find((b) => b.name === c.name);
        expect(base, `${path}: no container ${c.name} in ${patch!.metadata.name}`).toBeDefined();
        expect(c.resources.limits["nvidia.com/gpu"]).toBe(1);
        expect(c.image).toMatch(/:gpu$/);
        // A strategic merge replaces args whole: everything but --backend must stay as in the base.
        expect(c.args.filter((_: string, i: number) => c.args[i - 1] !== "--backend")).toEqual(
          base!.args.filter((_: string, i: number) => base!.args[i - 1] !== "--backend"),
        );
      }
    }
  });
});

describe("deploy/compose.yaml", () => {
  const [compose] = loadYaml(join(deploy, "compose.yaml"));
  const services = compose!.services as Record<string, Obj>;

  it("runs a coordinator, two workers, Prometheus and Grafana", () => {
    expect(Object.keys(services).sort()).toEqual(["coordinator", "grafana", "prometheus", "worker-1", "worker-2"]);
  });

  it("references files and services that exist", () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) {
        const context = resolve(deploy, s.build.context);
        expect(existsSync(join(context, "package.json")), `${name}: build context ${context}`).toBe(true);
        expect(existsSync(join(context, s.build.dockerfile)), `${name}: ${s.build.dockerfile}`).toBe(true);
      }
      for (const v of (s.volumes ?? []) as string[]) {
        const source = v.split(":")[0]!;
        if (source.startsWith(".")) expect(existsSync(resolve(deploy, source)), `${name}: volume source ${source}`).toBe(true);
        else expect(Object.keys(compose!.volumes), `${name}: named volume ${source}`).toContain(source);
      }
      for (const d of (s.depends_on ?? []) as string[]) expect(Object.keys(services), `${name} depends on ${d}`).toContain(d);
      const shared = /^service:(.+)$/.exec(s.network_mode ?? "");
      if (shared) expect(Object.keys(services)).toContain(shared[1]);
    }
  });

  it("points workers at the coordinator and advertises their own service names", () => {
    const c = services.coordinator!.command as string[];
    expect(c[0]).toBe("coordinator");
    expect(flag(c, "--host")).toBe("0.0.0.0");
    expect(Number(flag(c, "--workers"))).toBe(Object.keys(services).filter((n) => n.startsWith("worker-")).length);
    for (const name of ["worker-1", "worker-2"]) {
      const w = services[name]!.command as string[];
      expect(w[0]).toBe("worker");
      expect(flag(w, "--coordinator")).toBe(`ws://coordinator:${flag(c, "--port")}`);
      expect(flag(w, "--advertise-host")).toBe(name);
      for (const f of ["--backend", "--peer-port", "--metrics-port"]) expect(flag(w, f), `${name} ${f}`).toBeDefined();
      expect(services[name]!.environment.VAE_CLUSTER_TOKEN).toBe(services.coordinator!.environment.VAE_CLUSTER_TOKEN);
    }
  });
});

describe("deploy/docker", () => {
  const dockerfile = readFileSync(join(deploy, "docker", "Dockerfile"), "utf8");
  // Join continuation lines, drop comments: one instruction per entry.
  const instructions = dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

  it("copies only paths that exist in the build context (the repository root)", () => {
    const copies = instructions.filter((l) => /^(COPY|ADD)\s/.test(l) && !/--from=/.test(l));
    expect(copies.length).toBeGreaterThan(2);
    for (const line of copies) {
      const parts = line.split(/\s+/).slice(1).filter((p) => !p.startsWith("--"));
      for (const src of parts.slice(0, -1)) expect(existsSync(join(root, src)), `${line}: ${src}`).toBe(true);
    }
  });

  it("builds a CPU image by default and a GPU target with tfjs-node-gpu 4.22.0", () => {
    const stages = instructions.filter((l) => l.startsWith("FROM ")).map((l) => l.split(/\s+/));
    expect(stages.at(-1)!.at(-1)).toBe("cpu"); // the last stage is what a plain `docker build` gives
    expect(stages.map((s) => s.at(-1))).toContain("gpu");
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/npm install --no-save --omit=dev @tensorflow\/tfjs-node-gpu@4\.22\.0/);
  });

  it("enters through an executable script that knows the three programs", () => {
    const entry = instructions.filter((l) => l.startsWith("ENTRYPOINT ")).map((l) => JSON.parse(l.slice("ENTRYPOINT ".length)) as string[]);
    expect(entry.length).toBeGreaterThan(0);
    for (const e of entry) {
      const script = join(root, e.at(-1)!.replace(/^\/app\//, ""));
      expect(() => accessSync(script, constants.X_OK), script).not.toThrow();
      const text = readFileSync(script, "utf8");
      for (const bin of text.matchAll(/\/app\/(apps\/[\w-]+\/bin\/[\w.-]+)/g)) expect(existsSync(join(root, bin[1]!)), bin[1]).toBe(true);
    }
    const bad = spawnSync("sh", [join(deploy, "docker", "entrypoint.sh"), "trainer"], { encoding: "utf8", timeout: 10_000 });
    expect([bad.status, bad.stderr]).toEqual([64, expect.stringContaining("got 'trainer'")]);
  });

  it("keeps host node_modules and runs out of the build context", () => {
    const ignore = readFileSync(join(deploy, "docker", "Dockerfile.dockerignore"), "utf8").split("\n");
    for (const p of ["**/node_modules", ".git", "runs"]) expect(ignore).toContain(p);
  });
});
