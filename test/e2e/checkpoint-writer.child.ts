// Child process of checkpoint-kill.e2e.ts: writes large checkpoints in a loop until it is
// killed. Usage: checkpoint-writer.child.ts <checkpoints-dir> <first-step> <floats>
// Prints "begin <step>" before each write and "wrote <step>" after it returned.
import { writeCheckpoint } from "@vae/checkpoint";

const [dir, firstArg, floatsArg] = process.argv.slice(2);
if (!dir || !firstArg || !floatsArg) throw new Error("usage: checkpoint-writer.child.ts <dir> <first-step> <floats>");
const n = Number(floatsArg);

/** The value of parameter i at step s, so the reader can tell which step's bytes it got. */
function paramAt(step: number, i: number): number {
  return Math.fround(step * 1000 + (i % 1000));
}

const params = new Float32Array(n);
const m = new Float32Array(n);
const v = new Float32Array(n);
for (let step = Number(firstArg); ; step++) {
  for (let i = 0; i < n; i++) params[i] = paramAt(step, i);
  m.fill(step);
  v.fill(-step);
  process.stdout.write(`begin ${step}\n`);
  await writeCheckpoint(dir, {
    params,
    layout: [{ name: "w", shape: [n] }],
    optimizer: { m, v, t: step, learningRate: 1e-3 },
    step,
    epoch: 0,
    seed: 1,
    config: { child: true },
  });
  process.stdout.write(`wrote ${step}\n`);
}
