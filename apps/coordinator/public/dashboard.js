// The coordinator's dashboard page. Read-only: it listens to /api/events
// (server-sent events; see apps/coordinator/src/dashboard/feed.ts) and never
// sends anything. Every (re)connection starts with a `snapshot`, so the page's
// model is rebuilt from scratch rather than patched after a gap.
import { breakdownChart, lossChart, rateChart } from "/charts.js";

/** Points kept per curve; beyond this every other one is dropped (the coordinator thins the same way). */
const CURVE_CAPACITY = 4000;
/** Membership events listed. */
const EVENT_CAPACITY = 200;
/** A rank is flagged as the straggler when its compute time exceeds the fastest rank's by this factor. */
const STRAGGLER_RATIO = 1.25;

const $ = (id) => document.getElementById(id);

const charts = { loss: lossChart($("loss-chart")), rate: rateChart($("rate-chart")), breakdown: breakdownChart($("breakdown-chart")) };

let model = emptyModel();

function emptyModel() {
  return { live: null, curves: { step: [], total: [], reconstruction: [], kl: [], samplesPerSecond: [] }, tests: [], ranks: [], events: [], run: null };
}

const stream = new EventSource("/api/events");
stream.addEventListener("open", () => setConnection("live", "live"));
stream.addEventListener("error", () => setConnection("lost", "coordinator unreachable; retrying…"));
on("snapshot", (s) => {
  model = emptyModel();
  model.run = { runId: s.runId, dataset: s.config.dataset, algorithm: s.algorithm, compress: s.compress, batchSize: s.config.batchSize };
  model.curves = s.curves;
  model.tests = s.testHistory;
  model.ranks = s.ranks;
  model.events = s.events.slice(-EVENT_CAPACITY);
  model.live = s;
  renderAll();
  showSamples(s.samplesEpoch);
});
on("progress", (p) => {
  appendCurves(p.points);
  model.ranks = p.ranks;
  model.live = p;
  renderLive();
  charts.loss.update(model.curves, model.tests);
  charts.rate.update(model.curves);
  charts.breakdown.update(model.ranks);
});
on("state", (s) => {
  // A new generation renumbers the ranks: the old breakdown no longer applies.
  if (s.generation !== model.live?.generation) {
    model.ranks = [];
    charts.breakdown.update(model.ranks);
  }
  model.live = s;
  renderLive();
});
on("membership", (m) => {
  model.events.push(m.event);
  if (model.events.length > EVENT_CAPACITY) model.events.shift();
  model.live = m;
  renderLive();
  renderEvents();
});
on("epoch", (report) => {
  model.tests.push(report);
  $("test-loss").textContent = report.test.total.toFixed(2);
  charts.loss.update(model.curves, model.tests);
});
on("samples", ({ epoch }) => showSamples(epoch));

function on(name, handler) {
  stream.addEventListener(name, (e) => handler(JSON.parse(e.data)));
}

function appendCurves(points) {
  const c = model.curves;
  for (const k of Object.keys(c)) c[k].push(...points[k]);
  if (c.step.length > CURVE_CAPACITY) for (const k of Object.keys(c)) c[k] = c[k].filter((_, i) => i % 2 === 0 || i === c[k].length - 1);
}

function setConnection(state, text) {
  const el = $("connection");
  el.dataset.connection = state;
  el.textContent = text;
}

function renderAll() {
  const r = model.run;
  $("run").textContent = `${r.runId} · ${r.dataset} · batch ${r.batchSize} · ${r.algorithm}${r.compress === "fp16" ? " fp16" : ""}`;
  renderLive();
  renderEvents();
  const last = model.tests.at(-1);
  $("test-loss").textContent = last ? last.test.total.toFixed(2) : "–";
  charts.loss.update(model.curves, model.tests);
  charts.rate.update(model.curves);
  charts.breakdown.update(model.ranks);
}

/** The header, the summary cards, the worker table and the straggler line. */
function renderLive() {
  const s = model.live;
  if (!s) return;
  const badge = $("state");
  badge.textContent = s.state;
  badge.dataset.state = s.state;
  $("epoch").textContent = `${Math.min(s.epoch + 1, s.epochs)} / ${s.epochs}`;
  $("step").textContent = `${s.step} / ${s.totalSteps}`;
  $("progress").max = s.totalSteps;
  $("progress").value = s.step;
  $("loss").textContent = s.loss ? s.loss.total.toFixed(2) : "–";
  $("rate").textContent = s.state === "training" ? s.samplesPerSecond.toFixed(0) : "–";
  $("worker-count").textContent = String(s.workers.length);
  $("generation").textContent = String(s.generation);
  const straggler = findStraggler(model.ranks);
  renderWorkers(s.workers, straggler);
  $("straggler").textContent = straggler
    ? `rank ${straggler.rank} (${straggler.workerId}) computes ${straggler.ratio.toFixed(1)}× as long as the fastest rank: the others wait for it in the all-reduce.`
    : "";
}

function findStraggler(ranks) {
  if (ranks.length < 2) return null;
  const slowest = ranks.reduce((a, b) => (b.computeMs > a.computeMs ? b : a));
  const fastest = ranks.reduce((a, b) => (b.computeMs < a.computeMs ? b : a));
  const ratio = slowest.computeMs / Math.max(fastest.computeMs, 1e-3);
  return ratio >= STRAGGLER_RATIO ? { ...slowest, ratio } : null;
}

function renderWorkers(workers, straggler) {
  const body = $("workers").tBodies[0];
  const rows = workers.map((w) => {
    const tr = document.createElement("tr");
    tr.dataset.workerId = w.workerId;
    if (straggler && w.workerId === straggler.workerId) tr.className = "straggler";
    const cells = [
      [w.rank ?? "–"],
      [w.workerId],
      [w.host],
      [w.backend],
      [w.state, `state-${w.state}`],
      [w.lastStep == null ? "–" : w.lastStep + 1, "num"],
      [ms(w.computeMs), "num"],
      [ms(w.allreduceMs), "num"],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement("td");
      td.textContent = String(text);
      if (cls) td.className = cls;
      tr.append(td);
    }
    return tr;
  });
  body.replaceChildren(...rows);
  $("no-workers").hidden = workers.length > 0;
}

function renderEvents() {
  const items = model.events
    .slice()
    .reverse()
    .map((e) => {
      const li = document.createElement("li");
      li.dataset.reason = e.reason;
      const time = document.createElement("time");
      time.dateTime = e.time;
      time.textContent = new Date(e.time).toLocaleTimeString();
      const reason = document.createElement("span");
      reason.className = "reason";
      reason.dataset.reason = e.reason;
      reason.textContent = e.reason;
      const who = document.createElement("span");
      who.textContent = `${e.workerId}${e.rank == null ? "" : ` (rank ${e.rank})`} @ ${e.host}, gen ${e.generation}`;
      const detail = document.createElement("span");
      detail.className = "detail";
      detail.textContent = e.detail;
      detail.title = e.detail;
      li.append(time, reason, who, detail);
      return li;
    });
  $("events").replaceChildren(...items);
}

function showSamples(epoch) {
  if (epoch == null) return;
  const img = $("samples");
  img.src = `/samples.png?epoch=${epoch}`; // a new URL per epoch: no stale cached grid
  img.hidden = false;
  const recon = $("reconstructions");
  recon.src = `/reconstructions.png?epoch=${epoch}`;
  recon.hidden = false;
  img.dataset.epoch = String(epoch);
  $("no-samples").hidden = true;
  $("samples-caption").textContent = `after epoch ${epoch + 1}`;
}

function ms(v) {
  return v == null ? "–" : v.toFixed(1);
}
