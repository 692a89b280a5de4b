// The dashboard's charts, drawn by uPlot (served from node_modules at /vendor/).
// Each factory returns { update(...) } and resizes with its container.
import uPlot from "/vendor/uPlot.esm.js";

const COLORS = { total: "#2563eb", reconstruction: "#f59e0b", kl: "#16a34a", test: "#dc2626", rate: "#7c3aed" };
const PHASES = [
  { key: "computeMs", label: "compute", color: "#2563eb" },
  { key: "allreduceMs", label: "all-reduce", color: "#f59e0b" },
  { key: "applyMs", label: "apply", color: "#16a34a" },
  { key: "waitMs", label: "wait", color: "#9ca3af" },
];

function sizeOf(el, height) {
  return { width: Math.max(240, el.clientWidth), height };
}

function responsive(u, el, height) {
  new ResizeObserver(() => u.setSize(sizeOf(el, height))).observe(el);
  el.addEventListener("mouseleave", () => setTimeout(() => showLatest(u)));
}

/** With the cursor off the chart, the legend shows the newest values rather than dashes. */
function showLatest(u) {
  const n = u.data[0].length;
  if (n > 0 && (u.cursor.left == null || u.cursor.left < 0)) u.setLegend({ idx: n - 1 });
}

const fixed = (digits) => (u, v) => (v == null ? "–" : v.toFixed(digits));

/** Loss curves by global step: total and reconstruction (left axis), KL (right axis), test loss as points. */
export function lossChart(el) {
  const height = 280;
  const u = new uPlot(
    {
      ...sizeOf(el, height),
      scales: { x: { time: false }, kl: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { label: "global step" },
        { label: "nats", size: 60 },
        { side: 1, scale: "kl", label: "KL nats", grid: { show: false }, size: 50 },
      ],
      series: [
        { label: "step", value: (u, v) => (v == null ? "–" : String(v)) },
        { label: "total", stroke: COLORS.total, width: 1.5, value: fixed(2) },
        { label: "reconstruction", stroke: COLORS.reconstruction, width: 1, value: fixed(2) },
        { label: "KL", stroke: COLORS.kl, width: 1, scale: "kl", value: fixed(2) },
        { label: "test (epoch end)", stroke: COLORS.test, fill: COLORS.test, paths: () => null, points: { show: true, size: 8, fill: COLORS.test }, value: fixed(2) },
      ],
    },
    [[], [], [], [], []],
    el,
  );
  responsive(u, el, height);
  return {
    /** `curves` are columns by step; `tests` are {step, test: {total}} with step = steps done at the epoch end. */
    update(curves, tests) {
      const test = new Array(curves.step.length).fill(null);
      for (const t of tests) {
        const i = lastIndexAtOrBefore(curves.step, t.step - 1);
        if (i >= 0) test[i] = t.test.total;
      }
      u.setData([curves.step, curves.total, curves.reconstruction, curves.kl, test]);
      showLatest(u);
      el.dataset.points = String(curves.step.length);
    },
  };
}

/** Samples per second by global step. */
export function rateChart(el) {
  const height = 220;
  const u = new uPlot(
    {
      ...sizeOf(el, height),
      scales: { x: { time: false }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [{ label: "global step" }, { label: "samples/s", size: 60 }],
      series: [
        { label: "step", value: (u, v) => (v == null ? "–" : String(v)) },
        { label: "samples/s", stroke: COLORS.rate, width: 1.5, fill: "rgba(124, 58, 237, 0.08)", value: fixed(0) },
      ],
    },
    [[], []],
    el,
  );
  responsive(u, el, height);
  return {
    update(curves) {
      u.setData([curves.step, curves.samplesPerSecond]);
      showLatest(u);
      el.dataset.points = String(curves.step.length);
    },
  };
}

/**
 * Stacked bars, one per rank: compute, all-reduce, apply, wait (ms). uPlot draws
 * series in order, so the cumulative sums go tallest first and each shorter
 * bar is painted over the taller one; the legend shows each phase's own time.
 */
export function breakdownChart(el) {
  const height = 220;
  let raw = [];
  const bars = uPlot.paths.bars({ size: [0.55, 90] });
  const drawn = [...PHASES].reverse(); // wait (tallest cumulative) first
  const u = new uPlot(
    {
      ...sizeOf(el, height),
      cursor: { points: { show: false } },
      scales: {
        x: { time: false, range: (u) => [-0.5, Math.max(1, u.data[0].length) - 0.5] },
        y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [
        { splits: (u) => u.data[0], values: (u, splits) => splits.map((r) => `rank ${r}`), grid: { show: false } },
        { label: "ms per step", size: 60 },
      ],
      series: [
        { label: "rank", value: (u, v) => (v == null ? "–" : `${v} ${raw[v]?.workerId ?? ""}`) },
        ...drawn.map((p) => ({
          label: p.label,
          fill: p.color,
          stroke: p.color,
          paths: bars,
          points: { show: false },
          value: (u, v, si, i) => (i == null || raw[i] == null ? "–" : raw[i][p.key].toFixed(1)),
        })),
      ],
    },
    [[], ...drawn.map(() => [])],
    el,
  );
  responsive(u, el, height);
  return {
    update(ranks) {
      raw = ranks;
      const cumulative = PHASES.map(() => []);
      for (const r of ranks) {
        let sum = 0;
        PHASES.forEach((p, k) => cumulative[k].push((sum += r[p.key])));
      }
      u.setData([ranks.map((r) => r.rank), ...cumulative.reverse()]);
      el.dataset.ranks = String(ranks.length);
    },
  };
}

function lastIndexAtOrBefore(sorted, x) {
  let lo = 0, hi = sorted.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) (found = mid), (lo = mid + 1);
    else hi = mid - 1;
  }
  return found;
}
