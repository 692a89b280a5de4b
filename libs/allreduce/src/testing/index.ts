// Test doubles for collectives: `@vae/allreduce/testing`.
export { settleWithin, within } from "./deadline.ts";
export { MemoryMesh, type DelaySpec } from "./memory-mesh.ts";
export { MemoryStar } from "./memory-star.ts";
export { randomInputs, sumProblem } from "./check-sum.ts";
